"""Shipment changes other apps make inside their own transaction (like ``inventory/ledger.py``).

Fleet's plan acceptance, stop moves and driver changes write the vehicle and driver of a route to
its shipments in the same transaction as the plan: they call :func:`assign_transport` here instead
of saving distribution's rows themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

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
    numbers ``"written"`` and ``"kept"``.
    """
    require_transaction("distribution.shipments.assign_transport")
    written: list[str] = []
    kept: list[str] = []
    if not transports:
        return {"written": written, "kept": kept}
    for shipment in locks.shipments_for_update(transports):
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
            shipment.save(update_fields=[*TRANSPORT_FIELDS, "transport_legacy", "updated_at"])
            audit.record(verb, shipment, actor=actor, before=before, after=after)
            written.append(label)
    return {"written": written, "kept": kept}
