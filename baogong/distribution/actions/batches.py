"""A day's shipments at once: pick, load and dispatch, deliver and close many shipments in one
transaction each (the replay's dispatch days, a dispatcher's "ship all loaded").

Each does for every shipment what the one-shipment action does — the same state checks, scope,
transport checks (passes, the driver's clearance, sites under control), ledger moves and audit
events — but locks the shipments once in pk order, asks each distinct (vehicle, driver, recipient)
question once, moves the stock of all of them with one ``ledger.move_many`` (one conditional
``UPDATE`` per balance) and writes the audit events of all of them in one insert. Bad input (a
shipment in the wrong state, transport that is not registered, a delivery that does not add up)
refuses the whole batch, writing nothing; a shipment the transport checks refuse is held
(``DispatchHold``, as the one-shipment action records it) and the others go on.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit, increments
from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.distribution import hooks, locks, stock
from baogong.distribution.actions._common import _check_shipment
from baogong.distribution.actions.delivery import DeliveryLineInput, _delivery_errors, _delivery_moves
from baogong.distribution.actions.shipments import (
    TRANSPORT_AUDIT,
    _refresh_shipping_status,
    _require_shipment_scope,
    transport_refusals_many,
)
from baogong.distribution.choices import Disposition, ShipmentStatus
from baogong.distribution.errors import ShipmentInvalid
from baogong.distribution.holds import record_hold
from baogong.distribution.models import Discrepancy, DispatchHold, RequestLine, Shipment, ShipmentLine
from baogong.inventory.actions import MoveInput
from baogong.inventory.choices import MoveReason
from baogong.inventory.locations import in_transit_location
from baogong.inventory.models import Location


@dataclass
class ShipResult:
    """What :func:`ship_shipments` did: the shipments now in transit and those held, with why."""

    dispatched: list[Shipment] = field(default_factory=list)
    held: list[tuple[Shipment, list[str]]] = field(default_factory=list)


def _locked(shipments: Sequence[Shipment], actor: Actor, allowed: Sequence[str]) -> list[Shipment]:
    locked = locks.shipments_for_update([sh.pk for sh in shipments], related=True)
    for shipment in locked:
        _require_shipment_scope(shipment, actor)
        _check_shipment(shipment, allowed)
    return locked


@retry_on_conflict
def _step_many(shipments: Sequence[Shipment], source: str, target: str, verb: str, stamp: str, *, actor: Actor) -> int:
    with transaction.atomic(durable=True):
        locked = _locked(shipments, actor, [source])
        now = timezone.now()
        for shipment in locked:
            shipment.status = target
            setattr(shipment, stamp, now)
            shipment.updated_at = now
        # the same values on every row: one UPDATE (the rows are locked and checked above)
        Shipment.objects.filter(pk__in=[sh.pk for sh in locked]).update(
            **{"status": target, stamp: now, "updated_at": now}
        )
        audit.record_many(
            verb,
            [audit.Entry(sh, before={"status": source}, after={"status": target}) for sh in locked],
            actor=actor,
        )
        return len(locked)


def pick_shipments(shipments: Sequence[Shipment], *, actor: Actor) -> int:
    """:func:`pick_shipment` for many planned shipments; answers how many were picked."""
    return _step_many(
        shipments, ShipmentStatus.PLANNED, ShipmentStatus.PICKED, "pick_shipment", "picked_at", actor=actor
    )


def close_shipments(shipments: Sequence[Shipment], *, actor: Actor) -> int:
    """:func:`close_shipment` for many delivered shipments; answers how many were closed."""
    return _step_many(
        shipments, ShipmentStatus.DELIVERED, ShipmentStatus.CLOSED, "close_shipment", "closed_at", actor=actor
    )


def ship_shipments(
    shipments: Sequence[Shipment],
    *,
    actor: Actor,
    transport: Mapping[int, tuple[int | None, int | None]] | None = None,
) -> ShipResult:
    """Load and dispatch many picked (or loaded) shipments: each on the vehicle and driver
    ``transport`` gives for its id, else on those it already has (a route plan's). A shipment the
    transport checks refuse (:func:`transport_refusals`: a site not normal, no valid pass, a
    driver not cleared) stays where it was and is held (``DispatchHold``, at load or at dispatch);
    the others leave. Transport that is not registered or not the actor's refuses the whole batch
    (``ShipmentInvalid``, nothing written)."""
    result, holds = _ship(shipments, actor=actor, transport=transport or {})
    for shipment, stage, reasons in holds:
        record_hold(shipment, stage, reasons, actor=actor)
        result.held.append((shipment, reasons))
    return result


@retry_on_conflict
def _ship(
    shipments: Sequence[Shipment], *, actor: Actor, transport: Mapping[int, tuple[int | None, int | None]]
) -> tuple[ShipResult, list[tuple[Shipment, str, list[str]]]]:
    result = ShipResult()
    with transaction.atomic(durable=True):
        locked = _locked(shipments, actor, [ShipmentStatus.PICKED, ShipmentStatus.LOADED])
        leaving, holds = _sort_out(locked, actor=actor, transport=transport)
        now = timezone.now()
        loads = []
        for shipment, stage, before in leaving:
            if stage == DispatchHold.Stage.LOAD:
                shipment.status = ShipmentStatus.LOADED
                shipment.loaded_at = now
            after = audit.snapshot(shipment, TRANSPORT_AUDIT)
            if stage == DispatchHold.Stage.LOAD or after != before:
                loads.append(audit.Entry(shipment, before=before, after=after))
            shipment.status = ShipmentStatus.IN_TRANSIT
            shipment.dispatched_at = now
            shipment.updated_at = now
        ships = [sh for sh, _stage, _before in leaving]
        lines = _lines_of(ships)
        dispatches = _move_to_transit(ships, lines, actor=actor)
        Shipment.objects.bulk_update(ships, SHIPPED_FIELDS)
        _refresh_shipping_status({li.request_line.request_id for sh in ships for li in lines[sh.pk]})
        audit.record_many("load_shipment", loads, actor=actor)
        audit.record_many("dispatch_shipment", dispatches, actor=actor)
        result.dispatched = ships
    return result, holds


SHIPPED_FIELDS = [
    "status",
    "loaded_at",
    "dispatched_at",
    "updated_at",
    "vehicle_id",
    "vehicle_plate",
    "driver_id",
    "driver_name",
    "driver_phone",
    "transport_legacy",
]


def _sort_out(
    locked: Sequence[Shipment], *, actor: Actor, transport: Mapping[int, tuple[int | None, int | None]]
) -> tuple[list[tuple[Shipment, str, dict[str, Any]]], list[tuple[Shipment, str, list[str]]]]:
    """Each locked shipment with its vehicle and driver resolved (once per distinct choice) and
    checked (all at once, each vehicle and driver once): those that may leave, and those held with
    the reasons. A choice that does not resolve refuses the whole batch."""
    resolved: dict[tuple[int, int | None, int | None], tuple[Any, hooks.FieldErrors]] = {}
    invalid: dict[str, Any] = {}
    leaving: list[tuple[Shipment, str, dict[str, Any]]] = []
    holds: list[tuple[Shipment, str, list[str]]] = []
    befores: dict[int, dict[str, Any]] = {}
    for shipment in locked:
        befores[shipment.pk] = audit.snapshot(shipment, TRANSPORT_AUDIT)
        vehicle_id, driver_id = transport.get(shipment.pk, (None, None))
        chosen = (
            shipment.warehouse_id,
            vehicle_id if vehicle_id is not None else shipment.vehicle_id,
            driver_id if driver_id is not None else shipment.driver_id,
        )
        for registry in hooks.TRANSPORT:
            if chosen not in resolved:
                resolved[chosen] = registry.resolve(shipment, chosen[1], chosen[2], actor=actor)
            found, errors = resolved[chosen]
            found.apply_to(shipment)
            if errors:
                invalid[str(shipment)] = errors
        if not hooks.TRANSPORT:
            shipment.vehicle_id, shipment.driver_id = chosen[1], chosen[2]
    if invalid:
        raise ShipmentInvalid(details={"shipments": invalid})
    refusals = transport_refusals_many(locked, actor=actor)
    for shipment in locked:
        stage = str(
            DispatchHold.Stage.LOAD if shipment.status == ShipmentStatus.PICKED else DispatchHold.Stage.DISPATCH
        )
        if refusals[shipment.pk]:
            holds.append((shipment, stage, [r for reasons in refusals[shipment.pk].values() for r in reasons]))
            continue
        leaving.append((shipment, stage, befores[shipment.pk]))
    return leaving, holds


def _move_to_transit(
    ships: Sequence[Shipment], lines: Mapping[int, list[ShipmentLine]], *, actor: Actor
) -> list[audit.Entry]:
    """The stock of the leaving shipments to their warehouses' in-transit locations, one move
    group per shipment; answers the dispatch audit entries."""
    transit = {}
    groups = []
    dispatches = []
    for shipment in ships:
        if shipment.warehouse_id not in transit:
            transit[shipment.warehouse_id] = in_transit_location(shipment.warehouse)
        own = lines[shipment.pk]
        groups.append(
            stock.MoveGroup(
                [
                    MoveInput(
                        item=li.item,
                        lot=li.lot,
                        from_location=li.from_location,
                        to_location=transit[shipment.warehouse_id],
                        qty=li.qty,
                        reservation=li.reservation,
                    )
                    for li in own
                ],
                reference=str(shipment),
                document_id=shipment.pk,
            )
        )
        dispatches.append(
            audit.Entry(
                shipment,
                before={"status": ShipmentStatus.LOADED},
                after={"status": shipment.status, "units": sum(li.qty for li in own)},
            )
        )
    stock.move_many(groups, actor=actor, reason=MoveReason.SHIPMENT)
    return dispatches


def _lines_of(shipments: Sequence[Shipment]) -> dict[int, list[ShipmentLine]]:
    lines: dict[int, list[ShipmentLine]] = defaultdict(list)
    found = ShipmentLine.objects.filter(shipment__in=[sh.pk for sh in shipments]).select_related(
        "item", "lot", "from_location", "reservation", "request_line"
    )
    for line in found.order_by("shipment_id", "pk"):
        lines[line.shipment_id].append(line)
    return lines


@dataclass(frozen=True)
class DeliveryInput:
    """One shipment's proof of delivery in :func:`record_deliveries` (as :func:`record_delivery` takes it)."""

    shipment: Shipment
    lines: Sequence[DeliveryLineInput]
    received_by: str
    receiver_phone: str
    client_token: str
    reason: str = ""
    shortage_disposition: str = Disposition.RETURN
    note: str = ""


# what differs from shipment to shipment (status, delivered_at and updated_at are the same on all)
DELIVERED_FIELDS = [
    "received_by",
    "receiver_phone",
    "delivery_client_token",
    "delivery_note",
]


def _to_deliver(by_pk: Mapping[int, DeliveryInput], *, actor: Actor) -> list[Shipment]:
    """The shipments of a batch, locked and checked: those already recorded with the same token
    are left out (a replay of the batch), the others must be in transit."""
    todo: list[Shipment] = []
    for shipment in locks.shipments_for_update(list(by_pk), related=True):
        _require_shipment_scope(shipment, actor)
        token = by_pk[shipment.pk].client_token.strip()
        if token and shipment.delivery_client_token == token:
            continue
        _check_shipment(shipment, [ShipmentStatus.IN_TRANSIT])
        todo.append(shipment)
    return todo


def _delivery_entry(
    shipment: Shipment, own: Mapping[int, ShipmentLine], given: Mapping[int, Any], found: Sequence[Discrepancy]
) -> audit.Entry:
    return audit.Entry(
        shipment,
        before={"status": ShipmentStatus.IN_TRANSIT},
        after={
            "status": shipment.status,
            "received_by": shipment.received_by,
            "lines": [
                {"line": i, "qty": own[i].qty, "received": given[i].received, "damaged": given[i].damaged}
                for i in sorted(own)
            ],
            "discrepancies": [{"line": x.line_id, "kind": x.kind, "qty": x.qty, "to": x.disposition} for x in found],
        },
    )


@retry_on_conflict
def record_deliveries(deliveries: Sequence[DeliveryInput], *, actor: Actor) -> list[Shipment]:
    """:func:`record_delivery` for many shipments in transit, all or nothing: a delivery with a
    field error (quantities, receiver, phone, a shortage without reason) refuses the batch with the
    errors by shipment number. A shipment already recorded with the same token is left as it is.
    Answers the shipments delivered now."""
    by_pk = {d.shipment.pk: d for d in deliveries}
    with transaction.atomic(durable=True):
        todo = _to_deliver(by_pk, actor=actor)
        errors: dict[str, Any] = {}
        lines = _lines_of(todo)
        moves: dict[str, list[stock.MoveGroup]] = defaultdict(list)
        discrepancies: list[Discrepancy] = []
        changed_lines: list[ShipmentLine] = []
        per_request_line: dict[int, int] = defaultdict(int)
        entries = []
        places: dict[tuple[str, int], Location] = {}
        now = timezone.now()
        for shipment in todo:
            d = by_pk[shipment.pk]
            own = {li.pk: li for li in lines[shipment.pk]}
            given = {x.line_id: x for x in d.lines}
            phone = re.sub(r"\s", "", d.receiver_phone)
            token = d.client_token.strip()
            problems = _delivery_errors(own, given, d.received_by, phone, d.shortage_disposition, d.reason)
            if not token or len(token) > 64:
                problems["client_token"] = [_("Missing submission token; reload the page.")]
            if problems:
                errors[str(shipment)] = problems
                continue
            by_reason, found = _delivery_moves(shipment, own, given, d.shortage_disposition, d.reason, places)
            for move_reason, inputs in by_reason.items():
                moves[move_reason].append(stock.MoveGroup(inputs, reference=str(shipment), document_id=shipment.pk))
            discrepancies.extend(found)
            changed_lines.extend(own.values())
            for line_id, x in given.items():
                per_request_line[own[line_id].request_line_id] += x.received
            shipment.status = ShipmentStatus.DELIVERED
            shipment.delivered_at = now
            shipment.updated_at = now
            shipment.received_by = d.received_by.strip()[:64]
            shipment.receiver_phone = phone
            shipment.delivery_client_token = token
            shipment.delivery_note = d.note[:500]
            entries.append(_delivery_entry(shipment, own, given, found))
        if errors:
            raise ShipmentInvalid(details={"shipments": errors})
        for move_reason in (MoveReason.DELIVERY, MoveReason.RETURN, MoveReason.LOSS):
            stock.move_many(moves[move_reason], actor=actor, reason=move_reason)
        _save_received(changed_lines)
        Discrepancy.objects.bulk_create(discrepancies)
        increments.add_to(RequestLine, "delivered_qty", sorted(per_request_line.items()))
        Shipment.objects.filter(pk__in=[sh.pk for sh in todo]).update(
            status=ShipmentStatus.DELIVERED, delivered_at=now, updated_at=now
        )
        Shipment.objects.bulk_update(todo, DELIVERED_FIELDS)
        _refresh_shipping_status({li.request_line.request_id for sh in todo for li in lines[sh.pk]})
        audit.record_many("record_delivery", entries, actor=actor)
        return todo


def _save_received(lines: Sequence[ShipmentLine]) -> None:
    """The received and damaged units of delivered lines (the shipments are locked): the lines
    received in full in one ``UPDATE`` (received = shipped, nothing damaged), the others one by
    one in a ``bulk_update``."""
    full = [li.pk for li in lines if li.received_qty == li.qty and not li.damaged_qty]
    if full:
        ShipmentLine.objects.filter(pk__in=full).update(received_qty=F("qty"), damaged_qty=0)
    rest = [li for li in lines if li.received_qty != li.qty or li.damaged_qty]
    if rest:
        ShipmentLine.objects.bulk_update(rest, ["received_qty", "damaged_qty"])
