"""Demo people: the group's staff on duty, community volunteers and the volunteer-team batches.

The article's figures come out of these deployment records: 183 staff on supply, production,
business and duty watch (18 of them the 北翼 supply team), 109 community volunteers, and
7 batches / 29 person-times sent to the district volunteer teams.
"""

from __future__ import annotations

import datetime as dt
import itertools

from baogong.core.audit import SystemActor
from baogong.core.identifiers import ID_CHECK, ID_WEIGHTS
from baogong.orgs.models import Organisation, Site
from baogong.people import actions
from baogong.people.choices import DutyType, PersonKind, Shift
from baogong.people.models import DispatchBatch, Person

LOCKDOWN_START = dt.date(2022, 3, 28)
LOCKDOWN_END = dt.date(2022, 5, 31)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅志文斌辉玲晨浩宇鑫鹏飞燕云峰婷雪琴兰凤洁"

# (organisation code, site code or None, duty type, shift, people)
STAFF_DUTIES: list[tuple[str, str | None, str, str, int]] = [
    ("BYJT-BG", "WH-BY", DutyType.SUPPLY, Shift.DAY, 18),
    ("CYGS-ZX", "WH-TXQ", DutyType.SUPPLY, Shift.DAY, 18),
    ("CYGS-ZX", "WH-TXQ", DutyType.SUPPLY, Shift.NIGHT, 12),
    ("YYGS", "WH-TXQ", DutyType.SUPPLY, Shift.DAY, 12),
    ("YYGS-LS", None, DutyType.BUSINESS, Shift.DAY, 44),
    ("CXGS", "FS-FH", DutyType.BUSINESS, Shift.DAY, 4),
    ("CXGS", "FS-FH", DutyType.BUSINESS, Shift.NIGHT, 4),
    ("CXGS", "FS-CD", DutyType.BUSINESS, Shift.DAY, 4),
    ("CXGS", "FS-CD", DutyType.BUSINESS, Shift.NIGHT, 4),
    ("NZGS", "FC-NZ", DutyType.PRODUCTION, Shift.DAY, 20),
    ("NFGS", None, DutyType.BUSINESS, Shift.DAY, 8),
    ("HSGS", None, DutyType.PRODUCTION, Shift.DAY, 15),
    ("HKL", "IP-HKL", DutyType.WATCH, Shift.FULL, 8),
    ("JDGL", "HT-QJ", DutyType.WATCH, Shift.FULL, 4),
    ("JDGL", "HT-WYN", DutyType.WATCH, Shift.FULL, 3),
    ("TYYL", "EH-TY", DutyType.WATCH, Shift.FULL, 5),
]
VOLUNTEER_ORGS = [
    ("BYJT", 15),
    ("YYGS", 20),
    ("CYGS", 12),
    ("CXGS", 10),
    ("NZGS", 10),
    ("NFGS", 8),
    ("HSGS", 10),
    ("HKL", 10),
    ("JDGL", 8),
    ("BSGX", 6),
]
BATCH_SIZES = [5, 4, 4, 4, 4, 4, 4]
BATCH_TEAMS = ["区委组织部志愿服务队", "区国资委志愿服务队"]
CADRES = 20


def _names() -> itertools.cycle[str]:
    combos = [s + g1 + g2 for s in SURNAMES for g1, g2 in zip(GIVEN, GIVEN[3:] + GIVEN[:3], strict=True)]
    return itertools.cycle(combos[::7])


def _id_number(serial: int) -> str:
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=(serial * 97) % (365 * 35))
    first17 = f"310113{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def load_people_demo() -> dict[str, int]:
    """Create the demo people and deployments through the actions; does nothing when loaded."""
    if DispatchBatch.objects.filter(destination_team__in=BATCH_TEAMS).exists():
        return {"people": 0, "deployments": 0, "batches": 0}
    actor = SystemActor("demo")
    orgs = {o.code: o for o in Organisation.objects.all()}
    sites = {s.code: s for s in Site.objects.all()}
    names = _names()
    serial = itertools.count(Person.objects.count() + 1)
    made = {"people": 0, "deployments": 0, "batches": 0}

    def person(kind: str, org_code: str, site_code: str | None, position: str = "") -> Person:
        number = next(serial)
        made["people"] += 1
        return actions.create_person(
            {
                "kind": kind,
                "name": next(names),
                "organisation": orgs[org_code],
                "home_site": sites.get(site_code or ""),
                "id_number": _id_number(number),
                "phone": f"139{number:08d}",
                "position": position,
            },
            actor=actor,
        )

    for org_code, site_code, duty, shift, count in STAFF_DUTIES:
        for _ in range(count):
            staff = person(PersonKind.STAFF, org_code, site_code)
            actions.deploy_person(
                staff,
                duty_type=duty,
                site=sites.get(site_code or ""),
                shift=shift,
                starts_on=LOCKDOWN_START,
                ends_on=LOCKDOWN_END,
                actor=actor,
            )
            made["deployments"] += 1
    for org_code, count in VOLUNTEER_ORGS:
        for i in range(count):
            volunteer = person(PersonKind.STAFF, org_code, None, "社区志愿者")
            first = LOCKDOWN_START + dt.timedelta(days=3 + i % 10)
            actions.deploy_person(
                volunteer,
                duty_type=DutyType.COMMUNITY,
                shift=Shift.DAY,
                starts_on=first,
                ends_on=first + dt.timedelta(days=13),
                actor=actor,
            )
            made["deployments"] += 1
    cadres = [person(PersonKind.STAFF, "BSGX", None, "党员干部") for _ in range(CADRES)]
    rotation = itertools.cycle(cadres)
    for number, size in enumerate(BATCH_SIZES):
        starts_on = dt.date(2022, 4, 6) + dt.timedelta(days=7 * number)
        actions.dispatch_batch(
            [next(rotation) for _ in range(size)],
            organisation=orgs["BSGX"],
            destination_team=BATCH_TEAMS[number % 2],
            starts_on=starts_on,
            ends_on=starts_on + dt.timedelta(days=6),
            actor=actor,
        )
        made["batches"] += 1
        made["deployments"] += size
    return made
