"""Loading the base data and the demo accounts. Idempotent: a second run changes nothing."""

from __future__ import annotations

import decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from baogong.core import audit
from baogong.core.audit import SystemActor
from baogong.core.retry import retry_on_conflict
from baogong.orgs import actions as org_actions
from baogong.orgs.choices import Role
from baogong.orgs.models import AdministrativeArea, Organisation, Site
from baogong.orgs.roles import sync_roles

from . import base_data

SYSTEM = SystemActor("bootstrap")


def _d(value: float | None) -> decimal.Decimal | None:
    return None if value is None else decimal.Decimal(str(value)).quantize(decimal.Decimal("0.000001"))


@retry_on_conflict
def load_base_data() -> dict[str, int]:
    """Areas, organisations and sites of the article. Creates only what is missing."""
    created = {"areas": 0, "organisations": 0, "sites": 0}
    with transaction.atomic(durable=True):
        code, name, lat, lon = base_data.DISTRICT
        district, made = org_actions.ensure_area(code, name=name, level="district", lat=_d(lat), lon=_d(lon))
        created["areas"] += made
        for code, name, level, lat, lon in base_data.AREAS:
            _area, made = org_actions.ensure_area(
                code, name=name, level=level, parent=district, lat=_d(lat), lon=_d(lon)
            )
            created["areas"] += made
        for code, name, level, lat, lon in base_data.OUTSIDE_AREAS:
            _area, made = org_actions.ensure_area(code, name=name, level=level, lat=_d(lat), lon=_d(lon))
            created["areas"] += made
        for code, name, short, kind, parent, member in base_data.ORGANISATIONS:
            if Organisation.objects.filter(code=code).exists():
                continue
            org_actions.add_organisation(
                {
                    "code": code,
                    "name": name,
                    "short_name": short,
                    "kind": kind,
                    "is_group_member": member,
                    "parent": Organisation.objects.get(code=parent) if parent else None,
                },
                actor=SYSTEM,
            )
            created["organisations"] += 1
    wanted = _wanted_sites()
    existing = set(Site.objects.filter(code__in=[w["code"] for w in wanted]).values_list("code", flat=True))
    for values in wanted:
        if values["code"] in existing:
            continue
        org_actions.create_site(values, actor=SYSTEM)
        created["sites"] += 1
    return created


def _wanted_sites() -> list[dict[str, Any]]:
    """The values of every site of the article: the listed sites, one street/town office per
    area, the pharmacies."""
    areas = {a.code: a for a in AdministrativeArea.objects.all()}
    orgs = {o.code: o for o in Organisation.objects.all()}
    wanted: list[dict[str, Any]] = []
    for code, name, kind, org_code, area_code, address, lat, lon, headcount in base_data.SITES:
        wanted.append(
            {
                "code": code,
                "name": name,
                "kind": kind,
                "organisation": orgs[org_code],
                "area": areas.get(area_code) if area_code else None,
                "address": address,
                "lat": _d(lat),
                "lon": _d(lon),
                "headcount": headcount,
            }
        )
    government = orgs["BSZF"]
    for code, name, _level, lat, lon in base_data.AREAS:
        wanted.append(
            {
                "code": f"SO-{code}",
                "name": f"{name}办事处" if _level == "street" else f"{name}人民政府",
                "kind": "street_office",
                "organisation": government,
                "area": areas[code],
                "address": name,
                "lat": _d(lat),
                "lon": _d(lon),
                "headcount": base_data.STREET_OFFICE_HEADCOUNT,
            }
        )
    for i, pharmacy_area in enumerate(base_data.PHARMACY_AREAS, start=1):
        area = areas[pharmacy_area]
        offset = decimal.Decimal(i % 5 - 2) * decimal.Decimal("0.003")
        wanted.append(
            {
                "code": f"PH-{i:02d}",
                "name": f"宝山医药{area.name}第{i}药房",
                "kind": "pharmacy",
                "organisation": orgs["YYGS-LS"],
                "area": area,
                "address": f"{area.name}医保定点药房",
                "lat": (area.lat or decimal.Decimal(0)) + offset,
                "lon": (area.lon or decimal.Decimal(0)) - offset,
                "headcount": None,
            }
        )
    return wanted


# username → (role, grants: list of ("global",) / ("org", code) / ("site", code) / ("kind", org, kind))
DEMO_ACCOUNTS: dict[str, tuple[str, list[tuple[str, ...]], str]] = {
    "commander": (Role.COMMAND_CENTRE, [("global",)], "指挥中心"),
    "warehouse": (Role.WAREHOUSE_KEEPER, [("site", "WH-TXQ")], "泰兴桥仓管员"),
    "procurement": (Role.PROCUREMENT_OFFICER, [("org", "BYJT"), ("org", "YYGS")], "采购员"),
    "qc": (Role.QC_INSPECTOR, [("org", "BYJT"), ("org", "YYGS")], "质检员"),
    "dispatcher": (Role.DISPATCHER, [("org", "CYGS")], "调度员"),
    "driver": (Role.DRIVER, [("org", "CYGS")], "司机"),
    "fuel": (Role.FUEL_ATTENDANT, [("site", "FS-FH")], "凤凰加油站加油员"),
    "pharmacist": (Role.PHARMACIST, [("kind", "YYGS", "pharmacy")], "药师"),
    "health": (Role.HEALTH_OFFICER, [("org", "BSGX")], "防疫专员"),
    "property": (Role.PROPERTY_OFFICER, [("org", "BSGX")], "物业专员"),
    "auditor": (Role.AUDITOR, [("global",)], "审计员"),
    "tenant": (Role.TENANT, [], "租户"),
}


@retry_on_conflict
def load_demo_accounts(password: str | None = None) -> list[str]:
    """The demo users of DESIGN.md, each with its role and scope. Existing users are kept."""
    sync_roles()
    password = password or settings.BAOGONG_DEMO_PASSWORD
    user_model = get_user_model()
    made = []
    for username, (role, grants, display) in DEMO_ACCOUNTS.items():
        if user_model.objects.filter(username=username).exists():
            continue
        with transaction.atomic(durable=True):
            user = user_model.objects.create_user(username=username, password=password, first_name=display)
            user.groups.add(Group.objects.get(name=role))
            for grant in grants:
                if grant[0] == "global":
                    org_actions.add_grant(user, everything=True, actor=SYSTEM)
                elif grant[0] == "org":
                    org_actions.add_grant(user, organisation=Organisation.objects.get(code=grant[1]), actor=SYSTEM)
                elif grant[0] == "site":
                    org_actions.add_grant(user, site=Site.objects.get(code=grant[1]), actor=SYSTEM)
                elif grant[0] == "kind":
                    for site in Site.objects.filter(organisation__code__startswith=grant[1], kind=grant[2]).order_by(
                        "pk"
                    ):
                        org_actions.add_grant(user, site=site, actor=SYSTEM)
            audit.record(
                "create_demo_account",
                user,
                actor=SYSTEM,
                after={"username": username, "role": str(role)},
                object_repr=username,
            )
        made.append(username)
    return made


def load_demo_records() -> list[tuple[str, Any]]:
    """Each app's demo records (catalog, premises and tenants, suppliers with the counterfeit
    story, pharmacy drugs and stock), through their actions. Idempotent.

    No people: the staff on duty, volunteers and batches of 2022 are rostered by the replay
    (``demo.steps.people``); loading fixed deployments here as well would count them twice."""
    from baogong.catalog.demo_data import load_catalog_demo
    from baogong.pharmacy.demo_data import load_pharmacy_demo
    from baogong.procurement.demo_data import load_procurement_demo
    from baogong.property.demo_data import load_property_demo

    return [
        ("catalog", load_catalog_demo()),
        ("property", load_property_demo()),
        ("procurement", load_procurement_demo()),
        ("pharmacy", load_pharmacy_demo()),
    ]
