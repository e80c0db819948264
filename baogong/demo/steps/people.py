"""People on duty, community volunteers and volunteer-team batches, rostered week by week
(issue 21, point 2). The article's 183 / 109 / 7 batches and 29 person-times are what these
rosters add up to, not inputs.

- Each crew (warehouse, pharmacies, fuel stations, farm, offices, care sites …) has a staff list
  larger than it ever needs (``CREWS``: people on the books). Each week it needs a number of hands
  that follows the workload (the case curve: ``need``); last week's people stay on with
  probability ``P_STAY`` (closed-loop work in 7-day spells), the rest are relieved by colleagues
  who have not served yet, so the people who served at least once is a consequence.
- Office staff not on a crew volunteer in their community in a week with probability
  ``P_VOLUNTEER`` (more at the peak).
- From 04-06 the district asks for a volunteer team every week of the peak (case curve ≥ 0.25)
  and in a quieter week with probability ``P_BATCH_QUIET``; 3–5 cadres go (4.2 on average).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from baogong.demo.scenario import START
from baogong.demo.steps import scarcity

if TYPE_CHECKING:
    from baogong.demo.scenario import Scenario

# (organisation, site, duty, shift, peak crew, staff on the books)
CREWS: list[tuple[str, str | None, str, str, int, int]] = [
    ("BYJT-BG", "WH-BY", "supply", "day", 11, 24),
    ("CYGS-ZX", "WH-TXQ", "supply", "day", 11, 26),
    ("CYGS-ZX", "WH-TXQ", "supply", "night", 7, 16),
    ("YYGS", "WH-TXQ", "supply", "day", 7, 16),
    ("YYGS", "WH-YY", "supply", "day", 4, 10),  # the pharmaceutical company's own warehouse
    ("YYGS-LS", None, "business", "day", 25, 60),
    ("CXGS", "FS-FH", "business", "day", 2, 6),
    ("CXGS", "FS-FH", "business", "night", 2, 6),
    ("CXGS", "FS-CD", "business", "day", 2, 6),
    ("CXGS", "FS-CD", "business", "night", 2, 6),
    ("NZGS", "FC-NZ", "production", "day", 11, 28),
    ("NFGS", None, "business", "day", 4, 10),
    ("HSGS", None, "production", "day", 8, 20),
    ("HKL", "IP-HKL", "watch", "full", 4, 10),
    ("JDGL", "HT-QJ", "watch", "full", 2, 6),
    ("JDGL", "HT-WYN", "watch", "full", 2, 5),
    ("TYYL", "EH-TY", "watch", "full", 3, 8),
]
P_STAY = 0.87
# Office staff of each enterprise (not on a crew) who may volunteer in their community.
OFFICES = [
    ("BYJT", 34),
    ("YYGS", 40),
    ("CYGS", 26),
    ("CXGS", 20),
    ("NZGS", 20),
    ("NFGS", 16),
    ("HSGS", 22),
    ("HKL", 20),
    ("JDGL", 16),
    ("BSGX", 14),
]
P_VOLUNTEER_BASE = 0.03
P_VOLUNTEER_WAVE = 0.09
CADRES = 20
P_BATCH_QUIET = 0.7  # a week after the peak (case curve below 0.25); every week at the peak
BATCH_TEAMS = ["区委组织部志愿服务队", "区国资委志愿服务队"]


def need(peak: int, week: int) -> float:
    """Hands a crew needs in a week: 55% of its peak crew off-peak, all of it at the peak."""
    wave = sum(scarcity.cases(i) for i in range(week * 7, week * 7 + 7)) / 7
    return peak * (0.55 + 0.45 * wave)


def roster(s: Scenario) -> None:
    """The staff on the books, created before the first day (people app actions)."""
    from baogong.orgs.models import Organisation, Site
    from baogong.people import actions

    orgs = {o.code: o for o in Organisation.objects.all()}
    sites = {x.code: x for x in Site.objects.all()}
    serial = 0

    def person(org: str, site: str | None, position: str) -> Any:
        nonlocal serial
        serial += 1
        return actions.create_person(
            {
                "kind": "staff",
                "name": _name(serial),
                "organisation": orgs[org],
                "home_site": sites.get(site or ""),
                "id_number": _id_number(serial),
                "phone": f"137{serial:08d}",
                "position": position,
            },
            actor=s.system,
        )

    s.crews = [[person(org, site, "保供人员") for _ in range(books)] for org, site, _d, _sh, _p, books in CREWS]
    s.office_staff = [person(org, None, "机关人员") for org, count in OFFICES for _ in range(count)]
    s.cadres = [person("BSGX", None, "党员干部") for _ in range(CADRES)]
    s.on_crew = [[] for _ in CREWS]


def week(s: Scenario, day: dt.date, index: int) -> None:
    """On the first day of each week: this week's crews, volunteers and (perhaps) a batch."""
    from baogong.core.errors import DomainError
    from baogong.orgs.models import Organisation, Site
    from baogong.people import actions

    if index % 7:
        return
    number = index // 7
    ends_on = min(day + dt.timedelta(days=6), START + dt.timedelta(days=s.days - 1))
    sites = {x.code: x for x in Site.objects.all()}
    commander = s.user("commander")
    for c, (_org, site, duty, shift, peak, _books) in enumerate(CREWS):
        wanted = max(1, round(need(peak, number) * s.rng.uniform(0.9, 1.1)))
        staying = [p for p in s.on_crew[c] if s.rng.random() < P_STAY][:wanted]
        served = {p.pk for p in s.served}
        fresh = [p for p in s.crews[c] if p not in staying and p.pk not in served]
        again = [p for p in s.crews[c] if p not in staying and p.pk in served and p not in s.on_crew[c]]
        team = staying + (fresh + again)[: wanted - len(staying)]
        deployed = []
        for p in team:
            try:
                actions.deploy_person(
                    p,
                    duty_type=duty,
                    site=sites.get(site or ""),
                    shift=shift,
                    starts_on=day,
                    ends_on=ends_on,
                    actor=commander,
                )
            except DomainError:
                continue  # unwell (a positive test): stays home this week
            deployed.append(p)
            s.served.append(p)
        s.on_crew[c] = deployed
    wave = sum(scarcity.cases(i) for i in range(index, index + 7)) / 7
    for p in s.office_staff:
        if s.rng.random() < P_VOLUNTEER_BASE + P_VOLUNTEER_WAVE * wave:
            try:
                actions.deploy_person(
                    p,
                    duty_type="community",
                    shift="day",
                    starts_on=day,
                    ends_on=ends_on,
                    note="社区志愿服务：核酸检测、物资运送、消杀",
                    actor=commander,
                )
            except DomainError:
                continue
    asked = wave >= 0.25 or s.rng.random() < P_BATCH_QUIET
    if day >= dt.date(2022, 4, 6) and asked:
        size = s.rng.choice([3, 4, 4, 5, 5])
        start = s.batches * 4 % CADRES
        people = (s.cadres[start:] + s.cadres[:start])[:size]
        actions.dispatch_batch(
            people,
            organisation=Organisation.objects.get(code="BSGX"),
            destination_team=BATCH_TEAMS[s.batches % 2],
            starts_on=day,
            ends_on=ends_on,
            actor=commander,
        )
        s.batches += 1


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅志文斌辉玲晨浩宇鑫鹏飞燕云峰婷雪琴兰凤洁"


def _name(serial: int) -> str:
    return SURNAMES[serial % len(SURNAMES)] + GIVEN[(serial * 7) % len(GIVEN)] + GIVEN[(serial * 13 + 5) % len(GIVEN)]


def _id_number(serial: int) -> str:
    from baogong.core.identifiers import ID_CHECK, ID_WEIGHTS

    birth = dt.date(1966, 3, 1) + dt.timedelta(days=(serial * 89) % (365 * 34))
    first17 = f"310113{birth:%Y%m%d}{(500 + serial) % 1000:03d}"
    return first17 + ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]
