"""Before the first day: items, fuel stations, suppliers, missions, people, pharmacy, property."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile

from baogong.demo.scenario import (
    CASE_ITEMS,
    FARM_ITEMS,
    FUEL_GRADES,
    FUEL_STATIONS,
    INDUSTRIAL_ITEM,
    START,
    SUPPLY_DRIVERS,
    SUPPLY_VEHICLES,
)
from baogong.demo.steps import giving, lodging, people, scarcity
from baogong.demo.steps._common import (
    GENUINE_AG,
    LONG_HAUL_TRUCK,
    PDF,
    SUPPLIERS,
    WAREHOUSE,
    _driver_name,
    _truck,
    _uscc,
)

if TYPE_CHECKING:
    from baogong.demo.scenario import Scenario


# --- preparation -----------------------------------------------------------------------------
def prepare(s: Scenario) -> None:
    from baogong.catalog.demo_data import load_catalog_demo
    from baogong.demo.actions import load_base_data, load_demo_accounts

    load_base_data()
    load_demo_accounts()
    load_catalog_demo()
    _case_items(s)
    scarcity.set_up(s)
    _farm_and_industry_items(s)
    _suppliers(s)
    _missions(s)
    _people(s)
    lodging.set_up(s)
    giving.set_up(s)
    _pharmacy(s)
    _property(s)
    _fuel_stations(s)
    _long_haul_truck(s)
    _drivers(s)


def _case_items(s: Scenario) -> None:
    from baogong.catalog import actions
    from baogong.catalog.models import Category, Item

    categories = {c.code: c for c in Category.objects.all()}
    for code, name, category, unit, pack_qty, pack_unit, price, kg, m3, _weight in CASE_ITEMS:
        if Item.objects.filter(code=code).exists():
            continue
        actions.create_item(
            {
                "code": code,
                "name": name,
                "category": categories[category],
                "unit": unit,
                "pack_qty": pack_qty,
                "pack_unit": pack_unit,
                "weight_kg": Decimal(kg),
                "volume_m3": Decimal(m3),
                "reference_price": Decimal(price),
                "shelf_life_days": 730,
                "regulatory_number": GENUINE_AG if code == "SC-AG-CASE" else "",
            },
            actor=s.system,
            price_source="2022年4月保供采购参考价",
        )


def _farm_and_industry_items(s: Scenario) -> None:
    from baogong.catalog import actions
    from baogong.catalog.models import Category, Item

    categories = {c.code: c for c in Category.objects.all()}
    fuel = [("GASOLINE-92", "92号车用汽油", "FUEL", "升", "8.62", "0.74", "0.001", 0)]
    for code, name, category, unit, price, kg, m3, _units in [*FARM_ITEMS, INDUSTRIAL_ITEM, *fuel]:
        if Item.objects.filter(code=code).exists():
            continue
        actions.create_item(
            {
                "code": code,
                "name": name,
                # The catalog has no category for industrial raw materials: the ferrochrome is uncategorised.
                "category": categories[category] if category else None,
                "unit": unit,
                "pack_qty": 1,
                "weight_kg": Decimal(kg),
                "volume_m3": Decimal(m3),
                "reference_price": Decimal(price),
            },
            actor=s.system,
            price_source="2022年4月市场参考价",
        )


def _fuel_stations(s: Scenario) -> None:
    """Tanks at the two Changxing stations, filled; the distribution trucks registered with their
    passes (so they take the stations' green channel)."""
    from baogong.catalog.models import Item
    from baogong.fleet import actions
    from baogong.fleet.models import FuelTank, Vehicle
    from baogong.orgs.models import AdministrativeArea, Organisation

    commander = s.user("commander")
    for code in FUEL_STATIONS:
        station = s.site(code)
        for tank_code, item_code, capacity, low, cost, _price in FUEL_GRADES:
            if FuelTank.objects.filter(station=station, code=tank_code).exists():
                continue
            tank = actions.create_tank(
                station,
                Item.objects.get(code=item_code),
                code=tank_code,
                capacity_litres=capacity,
                low_level_litres=low,
                actor=commander,
            )
            actions.receive_fuel(
                tank, capacity * 4 // 5, Decimal(cost), reference=f"长兴油库-{code}-{tank_code}-0330", actor=commander
            )
    owner = Organisation.objects.get(code="CYGS")
    areas = list(AdministrativeArea.objects.filter(level__in=["street", "town"]).order_by("code"))
    for n in range(SUPPLY_VEHICLES):
        plate = _truck(n)
        if Vehicle.objects.filter(plate=plate).exists():
            continue
        vehicle = actions.create_vehicle(
            {
                "organisation": owner,
                "plate": plate,
                "kind": "light_truck",
                "capacity_kg": 5000,
                "capacity_cases": 300,
                "home_depot": s.site(WAREHOUSE),
            },
            actor=commander,
        )
        actions.register_pass(
            {
                "number": f"310113{220400 + n:06d}",
                "vehicle": vehicle,
                "route_description": "泰兴桥大仓—宝山各街镇、长兴岛",
                "valid_from": START,
                "valid_until": dt.date(2022, 6, 30),
                "issuing_body": "宝山区疫情防控工作领导小组办公室",
            },
            areas,
            actor=commander,
        )


def _long_haul_truck(s: Scenario) -> None:
    """南方公司's run to POSCO in Zhangjiagang: one truck with a pass naming that city too."""
    from baogong.fleet import actions
    from baogong.fleet.models import Vehicle
    from baogong.orgs.models import AdministrativeArea, Organisation

    if Vehicle.objects.filter(plate=LONG_HAUL_TRUCK).exists():
        return
    commander = s.user("commander")
    vehicle = actions.create_vehicle(
        {
            "organisation": Organisation.objects.get(code="CYGS"),
            "plate": LONG_HAUL_TRUCK,
            "kind": "light_truck",
            "capacity_kg": 5000,
            "capacity_cases": 300,
            "home_depot": s.site(WAREHOUSE),
        },
        actor=commander,
    )
    actions.register_pass(
        {
            "number": "310113229900",
            "vehicle": vehicle,
            "route_description": "泰兴桥大仓—江苏省张家港市（浦项不锈钢）",
            "valid_from": START,
            "valid_until": dt.date(2022, 6, 30),
            "issuing_body": "宝山区疫情防控工作领导小组办公室",
        },
        list(AdministrativeArea.objects.exclude(level="district").order_by("code")),
        actor=commander,
    )


def _drivers(s: Scenario) -> None:
    """The distribution trucks' drivers, registered as people of 储运公司 (whose tests clear them)
    and as fleet drivers; shipments are loaded only with them (issue 20.3)."""
    from baogong.fleet import actions
    from baogong.fleet.models import Driver
    from baogong.orgs.models import Organisation
    from baogong.people import actions as people_actions

    owner = Organisation.objects.get(code="CYGS")
    commander = s.user("commander")
    for n in range(SUPPLY_DRIVERS):
        name = _driver_name(n)
        if Driver.objects.filter(organisation=owner, name=name).exists():
            continue
        person = people_actions.create_person(
            {"kind": "staff", "name": name, "organisation": owner, "position": "驾驶员", "phone": f"137{n:08d}"},
            actor=commander,
        )
        actions.create_driver(
            {
                "organisation": owner,
                "name": name,
                "phone": f"137{n:08d}",
                "person": person,
                "licence_number": f"3101131980{n:08d}",
                "licence_class": "B2",
                "licence_expiry": dt.date(2028, 12, 31),
            },
            actor=commander,
        )


def _suppliers(s: Scenario) -> None:
    from baogong.orgs.models import Organisation
    from baogong.procurement import actions
    from baogong.procurement.models import Supplier

    officer, commander = s.user("procurement"), s.user("commander")
    for n, (name, categories, device_licence) in enumerate(SUPPLIERS, start=1):
        if Supplier.objects.filter(name=name).exists():
            continue
        uscc = _uscc(n)
        supplier = actions.register_supplier(
            {
                "organisation": Organisation.objects.get(code="BYJT"),
                "name": name,
                "uscc": uscc,
                "legal_representative": "王建国",
                "contact_name": "李敏",
                "contact_phone": "13900000000",
                "categories": categories,
            },
            actor=officer,
        )
        for kind, number in (("business", uscc), ("device_business", device_licence)):
            actions.add_licence(
                supplier,
                {
                    "kind": kind,
                    "number": number,
                    "scope": "",
                    "issued_on": dt.date(2020, 1, 1),
                    "expires_on": None if kind == "business" else dt.date(2025, 12, 31),
                },
                document=ContentFile(PDF, name=f"{kind}.pdf"),
                actor=officer,
            )
        actions.approve_supplier(supplier, reason="资质审核通过", actor=commander)


def _missions(s: Scenario) -> None:
    from baogong.finance import actions
    from baogong.finance.models import Mission
    from baogong.orgs.models import Organisation

    if Mission.objects.filter(code__startswith="M-FH-").exists():
        return
    funder = Organisation.objects.get(code="BSZF-WJW")
    owner = Organisation.objects.get(code="BYJT")
    for code, name, budget in (
        # budgets by beds (3,000 and 2,000)
        ("FH-FCL", "富长路方舱医院运行保障", "19000000"),
        ("FH-MPL", "湄浦路方舱医院运行保障", "13000000"),
    ):
        actions.create_mission(
            {
                "code": f"M-{code}",
                "name": name,
                "kind": "field_hospital",
                "organisation": owner,
                "funder": funder,
                "budget": Decimal(budget),
                "starts_on": START,
                "ends_on": dt.date(2022, 5, 31),
            },
            recipients=[s.site(code)],
            actor=s.user("commander"),
        )


def _people(s: Scenario) -> None:
    """The staff on the books; who serves is rostered week by week (:mod:`.people`)."""
    people.roster(s)


def _pharmacy(s: Scenario) -> None:
    from baogong.pharmacy.demo_data import load_pharmacy_demo

    load_pharmacy_demo(units=400)


def _property(s: Scenario) -> None:
    from baogong.property.demo_data import load_property_demo

    load_property_demo()
