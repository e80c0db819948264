"""Vehicles and drivers: create, update, status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import transaction
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import DomainError
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
R = TypeVar("R", Vehicle, Driver)

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
    values = dict(data)
    if isinstance(values.get("plate"), str):
        values["plate"] = values["plate"].strip().upper()
    with transaction.atomic(durable=True):
        return _create(Vehicle, VEHICLE_FIELDS, values, VehicleInvalid, "create_vehicle", actor=actor)


@retry_on_conflict
def update_vehicle(vehicle: Vehicle, data: Mapping[str, Any], *, actor: Actor) -> Vehicle:
    with transaction.atomic(durable=True):
        locked = locks.vehicle_for_update(vehicle.pk)
        fields = [f for f in VEHICLE_FIELDS if f not in {"plate", "organisation"}]
        return _update(locked, fields, data, VehicleInvalid, "update_vehicle", actor=actor)


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
        return _create(Driver, DRIVER_FIELDS, data, DriverInvalid, "create_driver", actor=actor)


@retry_on_conflict
def update_driver(driver: Driver, data: Mapping[str, Any], *, actor: Actor) -> Driver:
    with transaction.atomic(durable=True):
        locked = locks.driver_for_update(driver.pk)
        fields = [f for f in DRIVER_FIELDS if f != "organisation"]
        return _update(locked, fields, data, DriverInvalid, "update_driver", actor=actor)


# --- the one way of both ------------------------------------------------------------------


def _create(
    model: type[R], fields: list[str], data: Mapping[str, Any], invalid: type[DomainError], verb: str, *, actor: Actor
) -> R:
    """A new vehicle or driver of one of the actor's organisations, from the known ``fields`` of ``data``."""
    made = model(**{k: v for k, v in data.items() if k in fields})
    _clean(made, invalid)
    _check_org(made.organisation, actor, invalid, "organisation")
    made.save()
    audit.record(verb, made, actor=actor, after=audit.snapshot(made))
    return made


def _update(
    locked: R, fields: list[str], data: Mapping[str, Any], invalid: type[DomainError], verb: str, *, actor: Actor
) -> R:
    """Change the ``fields`` given in ``data`` of a locked vehicle or driver of the actor's organisations."""
    require_scope(actor, organisation_id=locked.organisation_id)
    before = audit.snapshot(locked)
    for key, value in data.items():
        if key in fields:
            setattr(locked, key, value)
    _clean(locked, invalid)
    locked.save()
    audit.record(verb, locked, actor=actor, before=before, after=audit.snapshot(locked))
    return locked
