"""Vehicles and drivers: create, update, status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope
from baogong.fleet import locks
from baogong.fleet.actions._common import _check_org, _clean
from baogong.fleet.choices import VehicleStatus
from baogong.fleet.errors import DriverInvalid, VehicleInvalid
from baogong.fleet.models import (
    Driver,
    Vehicle,
)

VEHICLE_FIELDS = [
    "organisation",
    "plate",
    "kind",
    "capacity_kg",
    "capacity_m3",
    "capacity_cases",
    "cold_chain",
    "home_depot",
    "status",
]
DRIVER_FIELDS = [
    "organisation",
    "name",
    "phone",
    "person",
    "user",
    "licence_number",
    "licence_class",
    "licence_expiry",
    "is_active",
]

# --- vehicles -------------------------------------------------------------------------------


@retry_on_conflict
def create_vehicle(data: Mapping[str, Any], *, actor: Actor) -> Vehicle:
    with transaction.atomic(durable=True):
        values = {k: v for k, v in data.items() if k in VEHICLE_FIELDS}
        if isinstance(values.get("plate"), str):
            values["plate"] = values["plate"].strip().upper()
        vehicle = Vehicle(**values)
        _clean(vehicle, VehicleInvalid)
        _check_org(vehicle.organisation, actor, VehicleInvalid, "organisation")
        vehicle.save()
        audit.record("create_vehicle", vehicle, actor=actor, after=audit.snapshot(vehicle))
        return vehicle


@retry_on_conflict
def update_vehicle(vehicle: Vehicle, data: Mapping[str, Any], *, actor: Actor) -> Vehicle:
    with transaction.atomic(durable=True):
        locked = locks.vehicle_for_update(vehicle.pk)
        require_scope(actor, organisation_id=locked.organisation_id)
        before = audit.snapshot(locked)
        for key, value in data.items():
            if key in VEHICLE_FIELDS and key not in {"plate", "organisation"}:
                setattr(locked, key, value)
        _clean(locked, VehicleInvalid)
        locked.save()
        audit.record("update_vehicle", locked, actor=actor, before=before, after=audit.snapshot(locked))
        return locked


@retry_on_conflict
def set_vehicle_status(vehicle: Vehicle, status: str, *, actor: Actor) -> Vehicle:
    if status not in VehicleStatus.values:
        raise VehicleInvalid(details={"status": [_("Unknown status.")]})
    with transaction.atomic(durable=True):
        locked = locks.vehicle_for_update(vehicle.pk)
        require_scope(actor, organisation_id=locked.organisation_id)
        audit.change_status("set_vehicle_status", locked, status, actor=actor)
        return locked


# --- drivers --------------------------------------------------------------------------------


@retry_on_conflict
def create_driver(data: Mapping[str, Any], *, actor: Actor) -> Driver:
    with transaction.atomic(durable=True):
        driver = Driver(**{k: v for k, v in data.items() if k in DRIVER_FIELDS})
        _clean(driver, DriverInvalid)
        _check_org(driver.organisation, actor, DriverInvalid, "organisation")
        driver.save()
        audit.record("create_driver", driver, actor=actor, after=audit.snapshot(driver))
        return driver


@retry_on_conflict
def update_driver(driver: Driver, data: Mapping[str, Any], *, actor: Actor) -> Driver:
    with transaction.atomic(durable=True):
        locked = locks.driver_for_update(driver.pk)
        require_scope(actor, organisation_id=locked.organisation_id)
        before = audit.snapshot(locked)
        for key, value in data.items():
            if key in DRIVER_FIELDS and key != "organisation":
                setattr(locked, key, value)
        _clean(locked, DriverInvalid)
        locked.save()
        audit.record("update_driver", locked, actor=actor, before=before, after=audit.snapshot(locked))
        return locked
