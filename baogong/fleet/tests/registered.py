"""A registered vehicle (with a pass over the whole district, valid around today) and a registered,
tested driver: what loading a shipment needs since issue 20.3. Built through the real actions; for
tests of any app (tests are outside the import layers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from baogong.core.audit import SystemActor
from baogong.fleet import actions
from baogong.fleet.models import Driver, Vehicle
from baogong.orgs.models import AdministrativeArea, Organisation, Site

SYSTEM = SystemActor("test")


def light_truck(plate: str, depot: Site, **extra: Any) -> dict[str, Any]:
    """What ``create_vehicle`` takes for one of CYGS's light trucks (3 t, 15 m³, 200 cases) based at ``depot``."""
    return {
        "organisation": Organisation.objects.get(code="CYGS"),
        "plate": plate,
        "kind": "light_truck",
        "capacity_kg": 3000,
        "capacity_m3": "15.00",
        "capacity_cases": 200,
        "home_depot": depot,
        **extra,
    }


def registered_vehicle(plate: str = "沪A12345", *, pass_areas: Any = None, with_pass: bool = True) -> Vehicle:
    vehicle = actions.create_vehicle(
        {
            "organisation": Organisation.objects.get(code="CYGS"),
            "plate": plate,
            "kind": "light_truck",
            "capacity_kg": 3000,
            "capacity_cases": 200,
            "home_depot": Site.objects.get(code="WH-TXQ"),
        },
        actor=SYSTEM,
    )
    if with_pass:
        today = timezone.localdate()
        areas = AdministrativeArea.objects.all() if pass_areas is None else pass_areas
        actions.register_pass(
            {
                "number": f"310113{vehicle.pk % 1000000:06d}",
                "vehicle": vehicle,
                "valid_from": today - dt.timedelta(days=10),
                "valid_until": today + dt.timedelta(days=30),
                "issuing_body": "宝山区交通委",
                "route_description": "宝山区内",
            },
            areas,
            actor=SYSTEM,
        )
    return vehicle


def registered_driver(name: str = "李师傅", *, tested: bool = True, licence_number: str = "") -> Driver:
    from baogong.people import actions as people_actions

    owner = Organisation.objects.get(code="CYGS")
    person = people_actions.create_person({"kind": "staff", "name": name, "organisation": owner}, actor=SYSTEM)
    if tested:
        people_actions.record_health_test(
            person, kind="antigen", result="negative", taken_at=timezone.now(), actor=SYSTEM
        )
    return actions.create_driver(
        {
            "organisation": owner,
            "name": name,
            "phone": "13700000001",
            "licence_number": licence_number or f"DRV-{person.pk}",
            "licence_class": "B2",
            "licence_expiry": timezone.localdate() + dt.timedelta(days=365),
            "person": person,
        },
        actor=SYSTEM,
    )


def registered_transport(plate: str = "沪A12345", name: str = "李师傅") -> dict[str, int]:
    """Keyword arguments for ``load_shipment``: a vehicle and driver that pass every check today."""
    return {"vehicle_id": registered_vehicle(plate).pk, "driver_id": registered_driver(name).pk}
