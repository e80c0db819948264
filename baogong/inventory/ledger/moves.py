"""Moving given lots between locations (``move``) and using up a reservation (``consume_reservation``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.inventory import locks
from baogong.inventory.choices import MoveReason, ReservationStatus
from baogong.inventory.errors import InvalidState, StockInvalid
from baogong.inventory.ledger import fast
from baogong.inventory.ledger.common import (
    MoveInput,
    _check_destination,
    _consume_reservations,
    _Leg,
    apply_legs,
    check_lines,
    lock_legs,
    org_of,
    require_transaction,
)
from baogong.inventory.models import Location, Lot, Reservation, StockMove


# --- generic moves ----------------------------------------------------------------------------
def validate_moves(lines: Sequence[MoveInput], reason: str) -> None:
    if reason not in MoveReason.values:
        raise StockInvalid(details={"reason": [_("Unknown reason.")]})
    check_lines(lines, _check_move)


def _check_move(line: MoveInput, e: dict[str, list[str]]) -> None:
    if line.lot.item_id != line.item.pk:
        e["lot"] = [_("The lot is not of this item.")]
    if line.from_location.pk == line.to_location.pk:
        e["to_location"] = [_("Source and destination are the same location.")]
    r = line.reservation
    if r is not None and (r.lot_id != line.lot.pk or r.location_id != line.from_location.pk):
        e["reservation"] = [_("The reservation is for another lot or location.")]


def move(
    lines: Sequence[MoveInput],
    *,
    actor: Actor,
    reason: str,
    reference: str = "",
    document_type: str = "",
    document_id: int | None = None,
    note: str = "",
    check_usable: bool = True,
) -> list[StockMove]:
    """Move given lots between locations (shipments: warehouse → in transit → recipient/back/loss).

    A line with a ``reservation`` uses up that reservation first. ``check_usable=False`` lets
    corrections (adjustments, stocktakes, booking in a transfer) move lots that are not released.
    """
    require_transaction()
    validate_moves(lines, reason)
    if fast.enabled() and all(line.reservation is None for line in lines):  # one statement (issue 25)
        return fast.move(lines, actor, reason, reference, document_type, document_id, note, check_usable)
    lot_ids = sorted({line.lot.pk for line in lines})
    fresh_lots = {lot.pk: lot for lot in Lot.objects.filter(pk__in=lot_ids).select_related("item")}
    legs = [
        _Leg(
            lot=fresh_lots[line.lot.pk],
            from_location=line.from_location,
            to_location=line.to_location,
            qty=line.qty,
            unit_cost=fresh_lots[line.lot.pk].unit_cost,
            reservation=line.reservation,
        )
        for line in lines
    ]
    if check_usable:
        for leg in legs:
            _check_destination(leg.lot, leg.from_location, leg.to_location)
    locked = lock_legs(legs)
    reservation_ids = sorted({leg.reservation.pk for leg in legs if leg.reservation is not None})
    open_qty = {r.pk: r.qty for r in locks.active_reservations_for_update(reservation_ids, related=False)}
    for leg in legs:
        if leg.reservation is not None:
            left = open_qty.get(leg.reservation.pk, 0)
            leg.consume = min(left, leg.qty)
            open_qty[leg.reservation.pk] = left - leg.consume
    moves = apply_legs(
        legs,
        locked,
        actor=actor,
        reason=reason,
        reference=reference,
        document_type=document_type,
        document_id=document_id,
        note=note,
    )
    _consume_reservations(legs)
    first = moves[0]
    # each location's label (site code / bin) read once, not a site query per move and end
    places = {m.from_location_id for m in moves} | {m.to_location_id for m in moves}
    labels = {loc.pk: str(loc) for loc in Location.objects.filter(pk__in=places).select_related("site")}
    audit.record(
        "move_stock",
        first,
        actor=actor,
        after={
            "reason": reason,
            "reference": reference,
            "moves": [
                {"lot": m.lot.batch, "from": labels[m.from_location_id], "to": labels[m.to_location_id], "qty": m.qty}
                for m in moves
            ],
        },
        organisation_id=org_of(first.from_location) or org_of(first.to_location),
        site_id=first.from_location.site_id or first.to_location.site_id,
        object_repr=f"{MoveReason(reason).label if reason in MoveReason.values else reason} {reference}".strip(),
    )
    return moves


@dataclass(frozen=True)
class MoveGroup:
    """The moves of one document in :func:`move_many` (one shipment's lines)."""

    lines: Sequence[MoveInput]
    reference: str
    document_id: int | None = None


def move_many(
    groups: Sequence[MoveGroup],
    *,
    actor: Actor,
    reason: str,
    document_type: str = "",
    note: str = "",
) -> list[list[StockMove]]:
    """:func:`move` for several documents at once, all or nothing (a day's shipments leaving or
    arriving): the same checks, every balance locked once in pk order and changed by one
    conditional ``UPDATE`` however many documents share it, the moves in one insert (each with its
    document's reference) and one ``move_stock`` audit event per document, in one insert. Answers
    the moves of each group, in order."""
    require_transaction()
    groups = [g for g in groups if g.lines]
    if not groups:
        return []
    for group in groups:
        validate_moves(group.lines, reason)
    lot_ids = sorted({line.lot.pk for g in groups for line in g.lines})
    fresh_lots = {lot.pk: lot for lot in Lot.objects.filter(pk__in=lot_ids).select_related("item")}
    legs: list[_Leg] = []
    sizes: list[int] = []
    for group in groups:
        for line in group.lines:
            lot = fresh_lots[line.lot.pk]
            legs.append(
                _Leg(
                    lot=lot,
                    from_location=line.from_location,
                    to_location=line.to_location,
                    qty=line.qty,
                    unit_cost=lot.unit_cost,
                    reservation=line.reservation,
                    reference=group.reference,
                    document_id=group.document_id,
                )
            )
        sizes.append(len(group.lines))
    for leg in legs:
        _check_destination(leg.lot, leg.from_location, leg.to_location)
    locked = lock_legs(legs)
    reservation_ids = sorted({leg.reservation.pk for leg in legs if leg.reservation is not None})
    open_qty = {r.pk: r.qty for r in locks.active_reservations_for_update(reservation_ids, related=False)}
    for leg in legs:
        if leg.reservation is not None:
            left = open_qty.get(leg.reservation.pk, 0)
            leg.consume = min(left, leg.qty)
            open_qty[leg.reservation.pk] = left - leg.consume
    moves = apply_legs(legs, locked, actor=actor, reason=reason, document_type=document_type, note=note)
    _consume_reservations(legs)
    out: list[list[StockMove]] = []
    start = 0
    for size in sizes:
        out.append(moves[start : start + size])
        start += size
    audit.record_many("move_stock", _move_entries(groups, out, reason), actor=actor)
    return out


def _move_entries(groups: Sequence[MoveGroup], out: Sequence[list[StockMove]], reason: str) -> list[audit.Entry]:
    """One ``move_stock`` audit entry per document of :func:`move_many`, as :func:`move` writes it."""
    places = {m.from_location_id for own in out for m in own} | {m.to_location_id for own in out for m in own}
    labels = {loc.pk: loc for loc in Location.objects.filter(pk__in=places).select_related("site")}
    label = MoveReason(reason).label if reason in MoveReason.values else reason
    entries = []
    for group, own in zip(groups, out, strict=True):
        first = own[0]
        source, target = labels[first.from_location_id], labels[first.to_location_id]
        entries.append(
            audit.Entry(
                first,
                after={
                    "reason": reason,
                    "reference": group.reference,
                    "moves": [
                        {
                            "lot": m.lot.batch,
                            "from": str(labels[m.from_location_id]),
                            "to": str(labels[m.to_location_id]),
                            "qty": m.qty,
                        }
                        for m in own
                    ],
                },
                organisation_id=org_of(source) or org_of(target),
                site_id=source.site_id or target.site_id,
                object_repr=f"{label} {group.reference}".strip(),
            )
        )
    return entries


def consume_reservation(
    reservation: Reservation,
    to_location: Location,
    *,
    actor: Actor,
    reason: str,
    qty: int | None = None,
    reference: str = "",
    document_type: str = "",
    document_id: int | None = None,
    note: str = "",
) -> list[StockMove]:
    """Move ``qty`` (default: all open) reserved units of ``reservation`` to ``to_location``.

    The reservation's open quantity goes down by the units moved (``consumed`` at zero); the
    balance's on_hand and reserved go down together. Audit verb ``move_stock``.
    """
    require_transaction()
    current = Reservation.objects.select_related("lot", "lot__item", "location", "location__site").get(
        pk=reservation.pk
    )
    if current.status != ReservationStatus.ACTIVE:
        raise InvalidState(_("The reservation is not active."), details={"reservation": current.pk})
    n = current.qty if qty is None else qty
    if not isinstance(n, int) or n <= 0:
        raise StockInvalid(details={"qty": [_("Quantities must be whole numbers above zero.")]})
    if n > current.qty:
        raise InvalidState(
            _("The reservation is no longer open for this quantity."),
            details={"reservation": current.pk, "open": current.qty, "requested": n},
        )
    return move(
        [
            MoveInput(
                item=current.lot.item,
                lot=current.lot,
                from_location=current.location,
                to_location=to_location,
                qty=n,
                reservation=current,
            )
        ],
        actor=actor,
        reason=reason,
        reference=reference or current.reference,
        document_type=document_type,
        document_id=document_id,
        note=note,
    )
