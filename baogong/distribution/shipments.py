"""Shipment changes other apps make inside their own transaction (like ``inventory/ledger.py``).

Fleet's plan acceptance, stop moves and driver changes write the vehicle and driver of a route to
its shipments in the same transaction as the plan: they call :func:`assign_transport` here instead
of saving distribution's rows themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from django.utils import timezone

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.transactions import require_transaction
from baogong.distribution import locks
from baogong.distribution.choices import ShipmentStatus
from baogong.distribution.models import Shipment

TRANSPORT_FIELDS = ["vehicle_id", "vehicle_plate", "driver_id", "driver_name", "driver_phone"]
# Statuses in which the vehicle and driver may still change (not yet loaded).
REASSIGNABLE = (ShipmentStatus.PLANNED, ShipmentStatus.PICKED)


@dataclass(frozen=True)
class Transport:
    """The vehicle and driver a shipment goes with (ids of fleet's records, with the plate, name and
    phone copied for delivery notes)."""

    vehicle_id: int | None
    vehicle_plate: str
    driver_id: int | None = None
    driver_name: str = ""
    driver_phone: str = ""

    def apply_to(self, shipment: Shipment) -> None:
        """Write this vehicle and driver on the shipment (a registered transport, not legacy text)."""
        shipment.vehicle_id = self.vehicle_id
        shipment.vehicle_plate = self.vehicle_plate
        shipment.driver_id = self.driver_id
        shipment.driver_name = self.driver_name
        shipment.driver_phone = self.driver_phone
        shipment.transport_legacy = False


def assign_transport(
    transports: Mapping[int, Transport | None],
    verb: str,
    *,
    actor: Actor,
    release_vehicles: Collection[int] = (),
) -> dict[str, list[str]]:
    """Inside the caller's transaction, write each shipment's vehicle and driver.

    ``transports`` maps shipment ids to their :class:`Transport`, or to ``None`` for a shipment no
    longer carried: its vehicle and driver are cleared when its vehicle is one of
    ``release_vehicles`` (and left alone otherwise). The shipments are locked in primary-key order
    (:func:`baogong.distribution.locks.shipments_for_update`); those already loaded or further on are
    left as they are. Each change is audited on the shipment with ``verb``. Answers the shipment
    numbers ``"written"`` and ``"kept"``. The shipments given the same vehicle and driver are
    written by one ``UPDATE``, the audit events in one insert.
    """
    require_transaction("distribution.shipments.assign_transport")
    written: list[str] = []
    kept: list[str] = []
    if not transports:
        return {"written": written, "kept": kept}
    # the shipments given the same transport (a route's) are written by one UPDATE
    same: dict[tuple[object, ...], list[int]] = defaultdict(list)
    entries: list[audit.Entry] = []
    now = timezone.now()
    for shipment in locks.shipments_for_update(transports, related=True):
        label = shipment.number or str(shipment.pk)
        if shipment.status not in REASSIGNABLE:
            kept.append(label)
            continue
        transport = transports[shipment.pk]
        before = audit.snapshot(shipment, TRANSPORT_FIELDS)
        if transport is not None:
            transport.apply_to(shipment)
        elif shipment.vehicle_id in release_vehicles:
            shipment.vehicle_id = shipment.driver_id = None
            shipment.vehicle_plate = shipment.driver_name = shipment.driver_phone = ""
        after = audit.snapshot(shipment, TRANSPORT_FIELDS)
        if after != before:
            shipment.updated_at = now
            same[tuple(getattr(shipment, f) for f in WRITTEN_FIELDS)].append(shipment.pk)
            entries.append(audit.Entry(shipment, before=before, after=after))
            written.append(label)
    for values, pks in same.items():
        Shipment.objects.filter(pk__in=pks).update(**dict(zip(WRITTEN_FIELDS, values, strict=True)), updated_at=now)
    audit.record_many(verb, entries, actor=actor)
    return {"written": written, "kept": kept}


WRITTEN_FIELDS = [*TRANSPORT_FIELDS, "transport_legacy"]
