import datetime as dt
from decimal import Decimal

import pytest

from baogong.fleet import actions
from baogong.fleet.tests.registered import light_truck
from baogong.orgs.models import AdministrativeArea, Organisation, Site

DAY = dt.date(2022, 4, 20)


@pytest.fixture
def cygs(base):
    return Organisation.objects.get(code="CYGS")


@pytest.fixture
def depot(base):
    return Site.objects.get(code="WH-TXQ")


@pytest.fixture
def make_vehicle(depot, user):
    def make(plate="沪A12345", **extra):
        return actions.create_vehicle(light_truck(plate, depot, **extra), actor=user("dispatcher"))

    return make


@pytest.fixture
def make_person(cygs, system):
    def make(name="王师傅", tested=True):
        from baogong.people import actions as people_actions

        person = people_actions.create_person({"kind": "staff", "name": name, "organisation": cygs}, actor=system)
        if tested:
            people_actions.record_health_test(
                person,
                kind="pcr",
                result="negative",
                taken_at=dt.datetime(2022, 4, 19, 10, 0, tzinfo=dt.UTC),
                actor=system,
            )
        return person

    return make


@pytest.fixture
def make_driver(cygs, user, make_person):
    def make(name="王师傅", licence_number="310113198001011234", tested=True, **extra):
        data = {
            "organisation": cygs,
            "name": name,
            "licence_number": licence_number,
            "licence_class": "B2",
            "licence_expiry": dt.date(2026, 1, 1),
            "person": make_person(name, tested),
            **extra,
        }
        return actions.create_driver(data, actor=user("dispatcher"))

    return make


@pytest.fixture
def make_pass(user):
    def make(vehicle, number="310113000001", areas=("310113",), valid_from=dt.date(2022, 4, 10), days=14):
        data = {
            "number": number,
            "vehicle": vehicle,
            "valid_from": valid_from,
            "valid_until": valid_from + dt.timedelta(days=days - 1),
            "issuing_body": "宝山区交通委",
            "route_description": "宝山区内",
        }
        return actions.register_pass(data, AdministrativeArea.objects.filter(code__in=areas), actor=user("dispatcher"))

    return make


@pytest.fixture
def make_tank(base, system):
    """A 20,000 L diesel tank (low level 2,000 L) at fuel station FS-FH, filled with ``litres``."""
    from baogong.catalog.actions import create_item

    def make(litres=5000):
        diesel = create_item({"code": "FUEL-0D", "name": "0号柴油", "unit": "L"}, actor=system)
        station = Site.objects.get(code="FS-FH")
        tank = actions.create_tank(
            station, diesel, code="T1", capacity_litres=20000, low_level_litres=2000, actor=system
        )
        actions.receive_fuel(tank, litres, Decimal("7.20"), reference="中石化-0420", actor=system)
        return tank

    return make
