"""The people behind the demo accounts, the staff on duty at 泰兴桥, and the registered fleet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from baogong.core.audit import SystemActor
from baogong.fleet import actions as fleet_actions
from baogong.fleet.models import Driver, Vehicle
from baogong.orgs.models import AdministrativeArea, Organisation, Site
from baogong.people import actions as people_actions
from baogong.people.choices import DutyType, PersonKind
from baogong.people.models import Person

SYSTEM = SystemActor("bootstrap")
WAREHOUSE = "WH-TXQ"
DUTY_DAYS = 30

# username → (name, organisation, home site, position, kind); the tenant manages a shop in 北翼商城,
# a guest of its landlord
ACCOUNT_PEOPLE: dict[str, tuple[str, str | None, str | None, str, str]] = {
    "commander": ("陈志强", "BSGX", None, "指挥中心值班长", PersonKind.STAFF),
    "warehouse": ("刘建华", "CYGS", WAREHOUSE, "泰兴桥大仓仓管员", PersonKind.STAFF),
    "procurement": ("王丽萍", "BYJT", None, "采购员", PersonKind.STAFF),
    "qc": ("赵敏", "BYJT", "WH-BY", "质检员", PersonKind.STAFF),
    "dispatcher": ("周海涛", "CYGS", WAREHOUSE, "调度员", PersonKind.STAFF),
    "driver": ("孙国庆", "CYGS", WAREHOUSE, "驾驶员", PersonKind.STAFF),
    "fuel": ("吴小军", "CXGS", "FS-FH", "加油员", PersonKind.STAFF),
    "pharmacist": ("郑雅琴", "YYGS-LS", None, "执业药师", PersonKind.STAFF),
    "health": ("林晓燕", "BSGX", None, "防疫专员", PersonKind.STAFF),
    "property": ("何文斌", "BSGX", None, "物业专员", PersonKind.STAFF),
    "auditor": ("马立新", "BSGX", None, "审计员", PersonKind.STAFF),
    "tenant": ("张明", "BYJT", None, "北翼商城101商户负责人（上海宝山小超市有限公司）", PersonKind.GUEST),
}
# Loaders of 储运公司 on duty at 泰兴桥 from today, tests not yet taken: the health officer's work.
LOADERS = ["钱卫东", "冯志刚", "褚海波"]
SECOND_DRIVER = "韩永平"
# plate → (pass number, driver name): the driver account's truck and a second one
VEHICLES = {"沪B60001": "310113600001", "沪B60002": "310113600002"}


def user(username: str) -> Any:
    """The demo account, or the bootstrap's system actor when it is missing."""
    return get_user_model().objects.filter(username=username).first() or SYSTEM


def link_people(today: dt.date) -> int:
    """A person record for every demo account (the daily check-in needs one), the driver on duty
    and tested, and the loaders on duty whose tests are due."""
    made = 0
    orgs = {o.code: o for o in Organisation.objects.all()}
    for n, (username, (name, org, home, position, kind)) in enumerate(ACCOUNT_PEOPLE.items(), start=1):
        account = get_user_model().objects.filter(username=username).first()
        if account is None or Person.objects.filter(user=account).exists():
            continue
        person = people_actions.create_person(
            {
                "kind": kind,
                "name": name,
                "organisation": orgs.get(org or ""),
                "home_site": Site.objects.filter(code=home or "").first(),
                "position": position,
                "phone": f"1391113{n:04d}",
                "user": account,
            },
            actor=SYSTEM,
        )
        made += 1
        if username == "driver":
            _on_duty(person, today)
            _tested(person)
    cygs = orgs["CYGS-ZX"]
    for name in LOADERS:
        if Person.objects.filter(name=name, organisation=cygs).exists():
            continue
        loader = people_actions.create_person(
            {
                "kind": PersonKind.STAFF,
                "name": name,
                "organisation": cygs,
                "home_site": Site.objects.get(code=WAREHOUSE),
                "position": "装卸工",
            },
            actor=SYSTEM,
        )
        _on_duty(loader, today)
        made += 1
    return made


def _on_duty(person: Person, today: dt.date) -> None:
    people_actions.deploy_person(
        person,
        duty_type=DutyType.SUPPLY,
        site=Site.objects.get(code=WAREHOUSE),
        starts_on=today,
        ends_on=today + dt.timedelta(days=DUTY_DAYS - 1),
        actor=user("health"),
    )


def _tested(person: Person) -> None:
    """A negative PCR this morning (or just now, early in the day): cleared to drive."""
    taken = max(timezone.now() - dt.timedelta(hours=2), timezone.localtime().replace(hour=0, minute=0, second=0))
    people_actions.record_health_test(person, kind="pcr", result="negative", taken_at=taken, actor=user("health"))


def register_fleet(today: dt.date) -> int:
    """Two trucks of 储运公司 based at 泰兴桥 with passes over the district, the driver account as a
    registered driver (its person record clears it) and a second driver for the other truck."""
    made = 0
    owner = Organisation.objects.get(code="CYGS")
    depot = Site.objects.get(code=WAREHOUSE)
    areas = list(AdministrativeArea.objects.order_by("code"))
    dispatcher = user("dispatcher")
    for plate, number in VEHICLES.items():
        if Vehicle.objects.filter(plate=plate).exists():
            continue
        vehicle = fleet_actions.create_vehicle(
            {
                "organisation": owner,
                "plate": plate,
                "kind": "light_truck",
                "capacity_kg": 3000,
                "capacity_cases": 200,
                "home_depot": depot,
            },
            actor=dispatcher,
        )
        fleet_actions.register_pass(
            {
                "number": number,
                "vehicle": vehicle,
                "route_description": "泰兴桥大仓—宝山各街镇",
                "valid_from": today - dt.timedelta(days=1),
                "valid_until": today + dt.timedelta(days=59),
                "issuing_body": "宝山区疫情防控工作领导小组办公室",
            },
            areas,
            actor=dispatcher,
        )
        made += 1
    account = get_user_model().objects.filter(username="driver").first()
    person = Person.objects.filter(user=account).first() if account is not None else None
    if person is not None and not Driver.objects.filter(person=person).exists():
        _driver(person.name, person, account, "310113198203150018", today)
        made += 1
    if not Driver.objects.filter(organisation=owner, name=SECOND_DRIVER).exists():
        second = people_actions.create_person(
            {"kind": PersonKind.STAFF, "name": SECOND_DRIVER, "organisation": owner, "position": "驾驶员"},
            actor=SYSTEM,
        )
        _tested(second)
        _driver(SECOND_DRIVER, second, None, "310113197811020031", today)
        made += 1
    return made


def _driver(name: str, person: Person, account: Any, licence: str, today: dt.date) -> Driver:
    return fleet_actions.create_driver(
        {
            "organisation": Organisation.objects.get(code="CYGS"),
            "name": name,
            "phone": "13711130001" if account else "13711130002",
            "person": person,
            "user": account,
            "licence_number": licence,
            "licence_class": "B2",
            "licence_expiry": today + dt.timedelta(days=3 * 365),
        },
        actor=user("dispatcher"),
    )
