"""The fleet's answers to distribution about the vehicle and driver of a shipment.

Registered in :mod:`baogong.distribution.hooks` by :class:`baogong.fleet.apps.FleetConfig`: the load
form's choices, the check that chosen ids are registered vehicles and drivers the user may use, and
the field-level refusals (passes, licence, health clearance) asked at load and again at dispatch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from baogong.core.identifiers import mask_phone
from baogong.core.scoping import user_scope
from baogong.distribution.hooks import FieldErrors, TransportOption
from baogong.distribution.models import Shipment
from baogong.distribution.shipments import Transport
from baogong.fleet.choices import VehicleStatus
from baogong.fleet.models import Driver, Vehicle
from baogong.fleet.queries import shipment_transport_refusals, shipments_transport_refusals


def _organisations_for(user: Any, shipment: Shipment) -> Q:
    """Vehicles and drivers a user may put on a shipment: of the user's organisations, or of the
    organisation whose warehouse ships (a keeper of one warehouse loads its company's trucks)."""
    scope = user_scope(user)
    if scope.is_global:
        return Q()
    return Q(organisation_id__in=scope.organisation_ids) | Q(organisation_id=shipment.warehouse.organisation_id)


def usable_vehicles(user: Any, shipment: Shipment) -> QuerySet[Vehicle]:
    """Active registered vehicles ``user`` may load ``shipment`` on."""
    return (
        Vehicle.objects.filter(_organisations_for(user, shipment), status=VehicleStatus.ACTIVE)
        .select_related("organisation")
        .order_by("plate")
    )


def usable_drivers(user: Any, shipment: Shipment) -> QuerySet[Driver]:
    """Active drivers with a person record (whose health clears them) ``user`` may assign."""
    return (
        Driver.objects.filter(_organisations_for(user, shipment), is_active=True, person__isnull=False)
        .select_related("organisation", "person")
        .order_by("name", "pk")
    )


class FleetTransport:
    """:class:`baogong.distribution.hooks.TransportRegistry` answered from fleet's records."""

    def resolve(
        self, shipment: Shipment, vehicle_id: int | None, driver_id: int | None, *, actor: Any
    ) -> tuple[Transport, FieldErrors]:
        errors: FieldErrors = {}
        vehicle = usable_vehicles(actor, shipment).filter(pk=vehicle_id).first() if vehicle_id else None
        driver = usable_drivers(actor, shipment).filter(pk=driver_id).first() if driver_id else None
        if vehicle_id is None:
            errors["vehicle_id"] = [_("Choose a registered vehicle.")]
        elif vehicle is None:
            errors["vehicle_id"] = [_("Not a registered, active vehicle you may use.")]
        if driver_id is None:
            errors["driver_id"] = [_("Choose a registered driver.")]
        elif driver is None:
            errors["driver_id"] = [_("Not a registered, active driver with a person record you may use.")]
        transport = Transport(
            vehicle_id=vehicle.pk if vehicle else None,
            vehicle_plate=vehicle.plate if vehicle else "",
            driver_id=driver.pk if driver else None,
            driver_name=driver.name if driver else "",
            driver_phone=driver.phone if driver else "",
        )
        return transport, errors

    def find(
        self, shipment: Shipment, plate: str, driver_name: str, driver_phone: str, *, actor: Any
    ) -> tuple[int | None, int | None, FieldErrors]:
        errors: FieldErrors = {}
        normal = "".join(plate.split()).upper()
        vehicle = usable_vehicles(actor, shipment).filter(plate=normal).first() if normal else None
        if vehicle is None:
            errors["vehicle"] = [_("No registered, active vehicle with this plate that you may use.")]
        drivers = usable_drivers(actor, shipment).filter(name=driver_name.strip())
        if driver_phone.strip():
            drivers = drivers.filter(phone=driver_phone.strip())
        found = list(drivers[:2])
        if not found:
            errors["driver"] = [_("No registered, active driver of this name (and phone) that you may use.")]
        elif len(found) > 1:
            errors["driver"] = [_("Several registered drivers have this name; give the phone too.")]
        return (vehicle.pk if vehicle else None), (found[0].pk if len(found) == 1 else None), errors

    def refusals(self, shipment: Shipment, on_date: dt.date) -> FieldErrors:
        return shipment_transport_refusals(shipment, on_date)

    def refusals_many(self, shipments: Sequence[Shipment], on_date: dt.date) -> dict[int, FieldErrors]:
        return shipments_transport_refusals(shipments, on_date)

    def options(self, user: Any, shipment: Shipment) -> tuple[list[TransportOption], list[TransportOption]]:
        vehicles = [
            TransportOption(
                v.pk, f"{v.plate} · {v.get_kind_display()} · {v.organisation.short_name or v.organisation.name}"
            )
            for v in usable_vehicles(user, shipment)
        ]
        drivers = [
            TransportOption(
                d.pk,
                " · ".join(
                    part
                    for part in (d.name, mask_phone(d.phone) if d.phone else "", d.organisation.short_name or "")
                    if part
                ),
            )
            for d in usable_drivers(user, shipment)
        ]
        return vehicles, drivers
