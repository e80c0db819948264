"""Shipments from planning to dispatch: plan, split, merge, pick, load, dispatch, close."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit, increments
from baogong.core.audit import Actor, SystemActor, user_of
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope, user_scope
from baogong.distribution import hooks, locks, stock
from baogong.distribution.actions._common import (
    _check_shipment,
    _number_shipment,
)
from baogong.distribution.choices import (
    RequestStatus,
    ShipmentStatus,
)
from baogong.distribution.errors import (
    DispatchRefused,
    ShipmentInvalid,
)
from baogong.distribution.holds import records_holds
from baogong.distribution.models import (
    AllocationReservation,
    DispatchHold,
    RequestLine,
    Shipment,
    ShipmentLine,
)
from baogong.inventory.actions import MoveInput
from baogong.inventory.choices import MoveReason, ReservationStatus
from baogong.inventory.locations import in_transit_location
from baogong.orgs.choices import SiteStatus
from baogong.orgs.models import Site

# --------------------------------------------------------------------------- shipments


def _require_shipment_scope(shipment: Shipment, actor: Actor) -> None:
    """A shipment outside the actor's scope (its warehouse's) is, for that actor, not there (404)."""
    require_scope(actor, organisation_id=shipment.warehouse.organisation_id, site_id=shipment.warehouse_id)


@retry_on_conflict
def plan_shipments(*, actor: Actor, warehouses: Sequence[Site] | None = None) -> list[Shipment]:
    """One planned shipment per warehouse and recipient from confirmed, not yet shipped allocations."""
    scope = user_scope(actor)
    with transaction.atomic(durable=True):
        qs = AllocationReservation.objects.filter(
            shipped_qty__lt=F("qty"),
            reservation__status=ReservationStatus.ACTIVE,
            line__request_line__request__status__in=[
                RequestStatus.PARTLY_ALLOCATED,
                RequestStatus.ALLOCATED,
                RequestStatus.DISPATCHED,
            ],
        )
        if warehouses is not None:
            qs = qs.filter(warehouse__in=list(warehouses))
        # The one lock order: the requests, their lines, then the allocations. The allocations are
        # read after the request locks, so a request cancelled meanwhile (its reservations
        # released) is not planned; one that became plannable after our locks waits for the next plan.
        locked_requests = {
            pk
            for pk, _status, _number in locks.requests_of_lines_for_update(qs.values("line__request_line__request_id"))
        }
        locks.request_lines_for_update(qs.values("line__request_line_id"))
        open_allocations = [
            a
            for a in locks.allocation_links_for_update(qs)
            if a.line.request_line.request_id in locked_requests
            and scope.allows(organisation_id=a.warehouse.organisation_id, site_id=a.warehouse_id)
        ]
        groups: dict[tuple[int, int], list[AllocationReservation]] = defaultdict(list)
        for a in open_allocations:
            groups[(a.warehouse_id, a.line.request_line.request.recipient_id)].append(a)
        return _plan_shipments([allocations for _key, allocations in sorted(groups.items())], actor=actor)


def _plan_shipments(groups: Sequence[Sequence[AllocationReservation]], *, actor: Actor) -> list[Shipment]:
    """One planned shipment per group of (locked) allocations of one warehouse to one recipient,
    all at once: the shipments and their lines in one insert each, the allocations' and request
    lines' shipped counters in one relative ``UPDATE`` each (``core.increments``), one audit event per shipment."""
    if not groups:
        return []
    user = user_of(actor)
    shipments = Shipment.objects.bulk_create(
        Shipment(warehouse=group[0].warehouse, recipient=group[0].line.request_line.request.recipient, created_by=user)
        for group in groups
    )
    for shipment in shipments:
        shipment.number = f"SH{timezone.localdate(shipment.created_at):%Y%m%d}-{shipment.pk:06d}"
    Shipment.objects.bulk_update(shipments, ["number"])
    lines: list[ShipmentLine] = []
    entries = []
    shipped: list[tuple[int, int]] = []
    per_request_line: dict[int, int] = defaultdict(int)
    for shipment, group in zip(shipments, groups, strict=True):
        own = _shipment_lines(shipment, group)
        for line in own:
            shipped.append((line.allocation_id, line.qty))
            per_request_line[line.request_line_id] += line.qty
        lines.extend(own)
        entries.append(audit.Entry(shipment, after=_planned(shipment, own)))
    ShipmentLine.objects.bulk_create(lines)
    increments.add_to(AllocationReservation, "shipped_qty", sorted(shipped))
    increments.add_to(RequestLine, "shipped_qty", sorted(per_request_line.items()))
    audit.record_many("plan_shipment", entries, actor=actor)
    return shipments


def _shipment_lines(shipment: Shipment, allocations: Sequence[AllocationReservation]) -> list[ShipmentLine]:
    lines = []
    for a in allocations:
        qty = min(a.qty - a.shipped_qty, a.reservation.qty)
        if qty <= 0:
            continue
        lines.append(
            ShipmentLine(
                shipment=shipment,
                allocation=a,
                request_line=a.line.request_line,
                item=a.line.request_line.item,
                lot=a.reservation.lot,
                from_location=a.reservation.location,
                reservation=a.reservation,
                qty=qty,
                unit_cost=a.reservation.lot.unit_cost,
            )
        )
    return lines


def _planned(shipment: Shipment, lines: Sequence[ShipmentLine]) -> dict[str, Any]:
    return {
        "number": shipment.number,
        "warehouse": shipment.warehouse.code,
        "recipient": shipment.recipient.code,
        "lines": [{"item": li.item.code, "lot": li.lot.batch, "qty": li.qty} for li in lines],
    }


@retry_on_conflict
def split_shipment(shipment: Shipment, line_ids: Sequence[int], *, actor: Actor) -> Shipment:
    """Move the given lines of a planned shipment to a new planned shipment (same route)."""
    with transaction.atomic(durable=True):
        locked = locks.shipment_for_update(shipment.pk)
        _require_shipment_scope(locked, actor)
        _check_shipment(locked, [ShipmentStatus.PLANNED])
        own = set(locked.lines.values_list("pk", flat=True))
        wanted = set(line_ids)
        if not wanted or not wanted <= own or wanted == own:
            raise ShipmentInvalid(details={"lines": [_("Choose some, but not all, lines of this shipment.")]})
        new = Shipment.objects.create(warehouse=locked.warehouse, recipient=locked.recipient, created_by=user_of(actor))
        _number_shipment(new)
        ShipmentLine.objects.filter(pk__in=wanted).update(shipment=new)
        audit.record("split_shipment", locked, actor=actor, after={"new_shipment": new.number, "lines": sorted(wanted)})
        return new


@retry_on_conflict
def merge_shipments(target: Shipment, other: Shipment, *, actor: Actor) -> Shipment:
    """Move every line of ``other`` into ``target``; both planned, same warehouse and recipient."""
    with transaction.atomic(durable=True):
        first, second = sorted([target.pk, other.pk])
        locked = {first: locks.shipment_for_update(first), second: locks.shipment_for_update(second)}
        into, source = locked[target.pk], locked[other.pk]
        _require_shipment_scope(into, actor)
        _require_shipment_scope(source, actor)
        if into.pk == source.pk or (into.warehouse_id, into.recipient_id) != (source.warehouse_id, source.recipient_id):
            raise ShipmentInvalid(
                details={"shipment": [_("Only shipments of the same warehouse and recipient merge.")]}
            )
        _check_shipment(into, [ShipmentStatus.PLANNED])
        _check_shipment(source, [ShipmentStatus.PLANNED])
        moved = source.lines.update(shipment=into)
        audit.record("merge_shipments", into, actor=actor, after={"merged": source.number, "lines": moved})
        number = source.number
        source.delete()
        audit.record("delete_shipment", None, actor=actor, object_repr=str(number), after={"merged_into": into.number})
        return into


def pick_shipment(shipment: Shipment, *, actor: Actor) -> Shipment:
    """The warehouse confirms the pick list (lots and bins as reserved) is picked."""
    return _step(shipment, ShipmentStatus.PLANNED, ShipmentStatus.PICKED, "pick_shipment", "picked_at", actor=actor)


@retry_on_conflict
def _step(shipment: Shipment, source: str, target: str, verb: str, stamp: str, *, actor: Actor) -> Shipment:
    with transaction.atomic(durable=True):
        locked = locks.shipment_for_update(shipment.pk)
        _require_shipment_scope(locked, actor)
        _check_shipment(locked, [source])
        audit.change_status(verb, locked, target, actor=actor, stamps={stamp: timezone.now()})
        return locked


def transport_refusals(
    shipment: Shipment, *, on_date: dt.date | None = None, actor: Actor | None = None
) -> hooks.FieldErrors:
    """Why the shipment may not be loaded or leave on ``on_date`` (today), field by field: the
    warehouse not normal (under control, locked down, closed), the destination locked down or
    closed, no registered vehicle or driver, and what the transport registry (the fleet) says about
    the vehicle's pass and the driver's licence and clearance. Asked at load and again at dispatch."""
    day = on_date or timezone.localdate()
    registered = []
    if shipment.vehicle_id is not None or shipment.driver_id is not None:
        registered = [registry.refusals(shipment, day) for registry in hooks.TRANSPORT]
    return _refusals(shipment, day, registered, _actor_refusals(actor, day))


def transport_refusals_many(
    shipments: Sequence[Shipment], *, on_date: dt.date | None = None, actor: Actor | None = None
) -> dict[int, hooks.FieldErrors]:
    """:func:`transport_refusals` for many shipments (a day's batch), shipment id → the same answer:
    the transport registry asked once for all of them (each vehicle and driver once), the actor's
    own checks once."""
    day = on_date or timezone.localdate()
    asked = [sh for sh in shipments if sh.vehicle_id is not None or sh.driver_id is not None]
    answers = [registry.refusals_many(asked, day) for registry in hooks.TRANSPORT] if asked else []
    own = _actor_refusals(actor, day)
    return {sh.pk: _refusals(sh, day, [a[sh.pk] for a in answers if sh.pk in a], own) for sh in shipments}


def _actor_refusals(actor: Actor | None, day: dt.date) -> list[str]:
    """The person who loads or dispatches: people's health checks (positive, close contact)."""
    if actor is None:
        return []
    return [str(r) for actor_check in hooks.ACTOR_CHECKS for r in actor_check(actor, day)]


def _refusals(
    shipment: Shipment, day: dt.date, registered: Sequence[hooks.FieldErrors], own: Sequence[str]
) -> hooks.FieldErrors:
    errors: dict[str, list[str]] = defaultdict(list)
    if shipment.recipient.status in (SiteStatus.LOCKED_DOWN, SiteStatus.CLOSED):
        errors["recipient"].append(
            _("The destination %(site)s is %(status)s.")
            % {"site": shipment.recipient.name, "status": SiteStatus(shipment.recipient.status).label}
        )
    if shipment.warehouse.status != SiteStatus.NORMAL:
        errors["warehouse"].append(
            _("The warehouse %(site)s is %(status)s.")
            % {"site": shipment.warehouse.name, "status": SiteStatus(shipment.warehouse.status).label}
        )
    if shipment.vehicle_id is None:
        errors["vehicle_id"].append(_("Choose a registered vehicle."))
    if shipment.driver_id is None:
        errors["driver_id"].append(_("Choose a registered driver."))
    for answer in registered:
        for field, reasons in answer.items():
            errors[field].extend(str(r) for r in reasons)
    for check in hooks.DISPATCH_CHECKS:
        reasons = [str(r) for r in check(shipment, day)]
        if reasons:
            errors["__all__"].extend(reasons)
    errors["__all__"].extend(own)
    return {field: reasons for field, reasons in errors.items() if reasons}


def dispatch_refusals(shipment: Shipment, actor: Actor | None = None) -> list[str]:
    """Every reason of :func:`transport_refusals`, one list (for banners and reports)."""
    return [reason for reasons in transport_refusals(shipment, actor=actor).values() for reason in reasons]


def _refuse(errors: hooks.FieldErrors) -> DispatchRefused:
    reasons = [reason for field_reasons in errors.values() for reason in field_reasons]
    return DispatchRefused(" ".join(reasons), details={**errors, "reasons": reasons})


TRANSPORT_AUDIT = ["status", "vehicle_id", "vehicle_plate", "driver_id", "driver_name", "transport_legacy"]


@records_holds(DispatchHold.Stage.LOAD)
@retry_on_conflict
def load_shipment(
    shipment: Shipment,
    *,
    actor: Actor,
    vehicle_id: int | None = None,
    driver_id: int | None = None,
) -> Shipment:
    """Load a picked (or reload a loaded) shipment on a registered vehicle with a registered driver:
    the ones chosen here, or those a route plan assigned. Refused, field by field and writing nothing, when the vehicle or
    driver is not registered or not in the actor's scope, the pass does not cover the day or the
    destination, the driver is not cleared, or a site forbids it."""
    with transaction.atomic(durable=True):
        locked = locks.shipment_for_update(shipment.pk)
        _require_shipment_scope(locked, actor)
        return load_locked(locked, actor=actor, vehicle_id=vehicle_id, driver_id=driver_id)


def load_locked(
    locked: Shipment, *, actor: Actor, vehicle_id: int | None = None, driver_id: int | None = None
) -> Shipment:
    """:func:`load_shipment` on a shipment the caller's transaction has locked and scoped (the Excel
    import of loads). Raises, writing nothing, when it is refused."""
    # A loaded shipment may be loaded again on other transport before it leaves (a driver who
    # turned positive, a legacy row with unregistered text).
    _check_shipment(locked, [ShipmentStatus.PICKED, ShipmentStatus.LOADED])
    before = audit.snapshot(locked, TRANSPORT_AUDIT)
    chosen_vehicle = vehicle_id if vehicle_id is not None else locked.vehicle_id
    chosen_driver = driver_id if driver_id is not None else locked.driver_id
    invalid: hooks.FieldErrors = {}
    for registry in hooks.TRANSPORT:
        transport, invalid = registry.resolve(locked, chosen_vehicle, chosen_driver, actor=actor)
        transport.apply_to(locked)
    if not hooks.TRANSPORT:
        locked.vehicle_id, locked.driver_id = chosen_vehicle, chosen_driver
    errors = transport_refusals(locked, actor=actor)
    if invalid:
        # Not registered, or not the actor's to use: bad input (400), with every other refusal.
        raise ShipmentInvalid(details={**errors, **invalid})
    if errors:
        raise _refuse(errors)
    locked.status = ShipmentStatus.LOADED
    locked.loaded_at = timezone.now()
    locked.save()
    audit.record("load_shipment", locked, actor=actor, before=before, after=audit.snapshot(locked, TRANSPORT_AUDIT))
    return locked


@records_holds(DispatchHold.Stage.DISPATCH)
@retry_on_conflict
def dispatch_shipment(shipment: Shipment, *, actor: Actor) -> Shipment:
    """The vehicle leaves: reserved lots move from their bins to the warehouse's in-transit stock."""
    with transaction.atomic(durable=True):
        locked = locks.shipment_for_update(shipment.pk)
        _require_shipment_scope(locked, actor)
        _check_shipment(locked, [ShipmentStatus.LOADED])
        errors = transport_refusals(locked, actor=actor)
        if errors:
            raise _refuse(errors)
        lines = list(locked.lines.select_related("item", "lot", "from_location", "reservation").order_by("pk"))
        transit = in_transit_location(locked.warehouse)
        stock.move(
            [
                MoveInput(
                    item=li.item,
                    lot=li.lot,
                    from_location=li.from_location,
                    to_location=transit,
                    qty=li.qty,
                    reservation=li.reservation,
                )
                for li in lines
            ],
            actor=actor,
            reason=MoveReason.SHIPMENT,
            reference=str(locked),
            document_id=locked.pk,
        )
        locked.status = ShipmentStatus.IN_TRANSIT
        locked.dispatched_at = timezone.now()
        locked.save(update_fields=["status", "dispatched_at", "updated_at"])
        _refresh_shipping_status({li.request_line.request_id for li in locked.lines.select_related("request_line")})
        audit.record(
            "dispatch_shipment",
            locked,
            actor=actor,
            before={"status": ShipmentStatus.LOADED},
            after={"status": locked.status, "units": sum(li.qty for li in lines)},
        )
        return locked


def _refresh_shipping_status(request_ids: set[int]) -> None:
    """allocated → dispatched → delivered as the requests' shipments leave and arrive."""
    for request in locks.requests_for_update(request_ids):
        if request.status not in (RequestStatus.ALLOCATED, RequestStatus.DISPATCHED):
            continue
        lines = list(request.lines.all())
        if any(line.outstanding or line.shipped_qty < line.allocated_qty for line in lines):
            continue
        states = set(
            ShipmentLine.objects.filter(request_line__request=request).values_list("shipment__status", flat=True)
        )
        if states & {ShipmentStatus.PLANNED, ShipmentStatus.PICKED, ShipmentStatus.LOADED}:
            continue
        status = RequestStatus.DISPATCHED if ShipmentStatus.IN_TRANSIT in states else RequestStatus.DELIVERED
        if status != request.status:
            before = request.status
            request.status = status
            request.save(update_fields=["status", "updated_at"])
            audit.record(
                "deliver_request" if status == RequestStatus.DELIVERED else "dispatch_request",
                request,
                actor=SystemActor("shipments"),
                before={"status": before},
                after={"status": status},
            )


def close_shipment(shipment: Shipment, *, actor: Actor) -> Shipment:
    """Close a delivered shipment; its delivery link stops working."""
    return _step(shipment, ShipmentStatus.DELIVERED, ShipmentStatus.CLOSED, "close_shipment", "closed_at", actor=actor)
