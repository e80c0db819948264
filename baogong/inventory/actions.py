"""Every change of stock. Each public action is one transaction: validate → lock (pk order) →
write balances with conditional F() updates → append moves → audit.

Other apps (distribution, procurement, pharmacy, fleet) move stock only through these functions,
or — when they must do several things in ONE transaction of their own — through the non-durable
primitives of :mod:`baogong.inventory.ledger`, of which the stock actions here are thin durable
wrappers (receive, issue, move, reserve, release).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core import audit
from baogong.core.money import round_fen
from baogong.core.retry import retry_on_conflict
from baogong.inventory import ledger, locks
from baogong.inventory.choices import (
    STOCK_KINDS,
    AdjustmentStatus,
    LocationKind,
    MoveReason,
    QcStatus,
    ReservationStatus,
    StocktakeStatus,
    TransferStatus,
)
from baogong.inventory.errors import (
    AlreadyReversed,
    InvalidState,
    StockInvalid,
)
from baogong.inventory.ledger import (  # re-exported: other apps import the inputs from here
    BULK,
    UNUSABLE_DESTINATIONS,
    IssueLineInput,
    Key,
    MoveInput,
    ReceiptLineInput,
    ReserveNeed,
)
from baogong.inventory.ledger import common as ledger_common
from baogong.inventory.locations import (
    default_location,
    in_transit_location,
    quarantine_location,
    virtual_location,
)
from baogong.inventory.models import (
    Adjustment,
    Issue,
    Location,
    Lot,
    Receipt,
    Reservation,
    StockBalance,
    StockMove,
    Stocktake,
    StocktakeLine,
    Transfer,
    TransferLine,
)
from baogong.orgs.models import Site

__all__ = [
    "BULK",
    "UNUSABLE_DESTINATIONS",
    "IssueLineInput",
    "Key",
    "MoveInput",
    "ReceiptLineInput",
    "ReserveNeed",
    "TransferLineInput",
]


@dataclass
class TransferLineInput:
    lot: Lot
    from_location: Location
    qty: int
    to_location: Location | None = None


# --- helpers (the ledger's; the private names are kept for this module and older callers) -------
today = ledger.today
_Leg = ledger_common._Leg
_actor_fields = ledger_common._actor_fields
_is_usable = ledger.is_usable
_lock_legs = ledger.lock_legs
_apply = ledger.apply_legs
_shortage = ledger.shortage
_line_errors = ledger.line_errors
_check_site_location = ledger.check_site_location
_org_of = ledger.org_of
_fefo_key = ledger.fefo_key
_candidates = ledger.candidates
_plan_fefo = ledger.plan_fefo
_move = ledger.move
_release_reservation = ledger.release


def _stock_locations(site: Site) -> list[Location]:
    return list(Location.objects.filter(site=site, kind__in=list(STOCK_KINDS), is_active=True))


# --- receive ----------------------------------------------------------------------------------
@retry_on_conflict
def receive_stock(
    warehouse: Site,
    lines: list[ReceiptLineInput],
    *,
    actor: Any,
    reference: str = "",
    qc_status: str = QcStatus.RELEASED,
    supplier_ref: str = "",
    supplier_name: str = "",
) -> Receipt:
    """Receive lots from a supplier into the warehouse (its default location unless a bin is named).

    One durable transaction around :func:`baogong.inventory.ledger.receive`.
    """
    ledger.validate_receipt(warehouse, lines, qc_status)
    with transaction.atomic(durable=True):
        return ledger.receive(
            warehouse,
            lines,
            actor=actor,
            reference=reference,
            qc_status=qc_status,
            supplier_ref=supplier_ref,
            supplier_name=supplier_name,
        )


# --- issue ------------------------------------------------------------------------------------
@retry_on_conflict
def issue_stock(
    warehouse: Site, recipient: Site, lines: list[IssueLineInput], *, actor: Any, reference: str = ""
) -> Issue:
    """Issue stock to a recipient site, lots picked earliest-expiry-first among released, unexpired lots.

    Raises :class:`InsufficientStock` (writing nothing) when any line cannot be filled in full.
    One durable transaction around :func:`baogong.inventory.ledger.issue`.
    """
    ledger.validate_issue(warehouse, recipient, lines)
    with transaction.atomic(durable=True):
        return ledger.issue(warehouse, recipient, lines, actor=actor, reference=reference)


# --- reservations -----------------------------------------------------------------------------
@retry_on_conflict
def reserve_stock(warehouse: Site, item: Item, qty: int, *, actor: Any, reference: str) -> list[Reservation]:
    """Reserve ``qty`` of ``item`` at the warehouse, earliest expiry first, across lots and bins."""
    with transaction.atomic(durable=True):
        return ledger.reserve(warehouse, item, qty, actor=actor, reference=reference)


@retry_on_conflict
def release_reservation(reservation: Reservation, *, actor: Any, qty: int | None = None) -> Reservation:
    """Give back all (or ``qty``) of the reservation's open units."""
    with transaction.atomic(durable=True):
        return ledger.release(reservation, actor=actor, qty=qty)


# --- generic moves ----------------------------------------------------------------------------
@retry_on_conflict
def move_stock(
    lines: list[MoveInput],
    *,
    actor: Any,
    reason: str,
    reference: str = "",
    document_type: str = "",
    document_id: int | None = None,
    note: str = "",
) -> list[StockMove]:
    """Move given lots between locations (shipments: warehouse → in transit → recipient/back/loss).

    A line with a ``reservation`` uses up that reservation first.
    """
    ledger.validate_moves(lines, reason)
    with transaction.atomic(durable=True):
        return ledger.move(
            lines,
            actor=actor,
            reason=reason,
            reference=reference,
            document_type=document_type,
            document_id=document_id,
            note=note,
        )


# --- transfers --------------------------------------------------------------------------------
@retry_on_conflict
def transfer_stock(
    warehouse: Site,
    lines: list[TransferLineInput],
    *,
    actor: Any,
    destination: Site | None = None,
    reference: str = "",
) -> Transfer:
    """Move stock between locations of the warehouse, or send it to another site (in transit)."""
    if not lines:
        raise StockInvalid(details={"lines": [_("Add at least one line.")]})
    to_site = destination or warehouse
    internal = to_site.pk == warehouse.pk
    errors: dict[int, dict[str, list[str]]] = {}
    for i, line in enumerate(lines):
        e: dict[str, list[str]] = {}
        if not isinstance(line.qty, int) or line.qty <= 0:
            e["qty"] = [_("Quantities must be whole numbers above zero.")]
        _check_site_location(line.from_location, warehouse, e)
        if internal:
            if line.to_location is None:
                e["to_location"] = [_("Choose the destination location.")]
            else:
                _check_site_location(line.to_location, warehouse, e)
        if e:
            errors[i] = e
    if errors:
        raise _line_errors(errors)
    with transaction.atomic(durable=True):
        transfer = Transfer.objects.create(
            warehouse=warehouse,
            destination=to_site,
            reference=reference[:128],
            status=TransferStatus.DONE if internal else TransferStatus.IN_TRANSIT,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        transit = None if internal else in_transit_location(warehouse)
        moves_in = [
            MoveInput(
                item=line.lot.item,
                lot=line.lot,
                from_location=line.from_location,
                to_location=line.to_location if internal and line.to_location else transit,  # type: ignore[arg-type]
                qty=line.qty,
            )
            for line in lines
        ]
        _move(
            moves_in,
            actor=actor,
            reason=MoveReason.TRANSFER,
            reference=reference or transfer.number,
            document_type="transfer",
            document_id=transfer.pk,
        )
        TransferLine.objects.bulk_create(
            [
                TransferLine(
                    transfer=transfer,
                    item_id=m.lot.item_id,
                    lot=m.lot,
                    from_location=m.from_location,
                    to_location=m.to_location,
                    qty=m.qty,
                )
                for m in moves_in
            ]
        )
        audit.record(
            "transfer_stock",
            transfer,
            actor=actor,
            after={"destination": to_site.code, "status": transfer.status, "lines": len(moves_in)},
        )
        return transfer


@retry_on_conflict
def receive_transfer(transfer: Transfer, *, actor: Any, location: Location | None = None) -> Transfer:
    """Book an inter-site transfer in at its destination."""
    with transaction.atomic(durable=True):
        locked = Transfer.objects.select_for_update().select_related("warehouse", "destination").get(pk=transfer.pk)
        if locked.status != TransferStatus.IN_TRANSIT:
            raise InvalidState()
        target = location or default_location(locked.destination)
        if target.site_id != locked.destination_id or target.kind not in STOCK_KINDS:
            raise StockInvalid(details={"location": [_("The location is not a store location of this site.")]})
        transit = in_transit_location(locked.warehouse)
        lines = list(locked.lines.select_related("lot", "lot__item"))
        _move(
            [
                MoveInput(item=line.lot.item, lot=line.lot, from_location=transit, to_location=target, qty=line.qty)
                for line in lines
            ],
            actor=actor,
            reason=MoveReason.TRANSFER,
            reference=locked.reference or locked.number,
            document_type="transfer",
            document_id=locked.pk,
            check_usable=False,
        )
        locked.status = TransferStatus.RECEIVED
        locked.received_at = timezone.now()
        locked.save(update_fields=["status", "received_at"])
        audit.record(
            "receive_transfer",
            locked,
            actor=actor,
            before={"status": TransferStatus.IN_TRANSIT},
            after={"status": locked.status, "location": target.code},
        )
        return locked


# --- adjustments ------------------------------------------------------------------------------
def approval_threshold() -> Decimal:
    return Decimal(str(getattr(settings, "BAOGONG_ADJUSTMENT_APPROVAL_VALUE", "2000")))


@retry_on_conflict
def adjust_stock(
    warehouse: Site,
    lot: Lot,
    location: Location,
    qty_change: int,
    *,
    reason: str,
    actor: Any,
) -> Adjustment:
    """Correct one balance by ``qty_change`` units with a reason.

    Above the approval value (``BAOGONG_ADJUSTMENT_APPROVAL_VALUE``) it waits for someone with
    ``inventory.approve_adjustment``, unless the actor has that permission.
    """
    e: dict[str, list[str]] = {}
    if not isinstance(qty_change, int) or qty_change == 0:
        e["qty_change"] = [_("Give a quantity change other than zero.")]
    if not reason.strip():
        e["reason"] = [_("Give a reason for the adjustment.")]
    if location.site_id != warehouse.pk or location.kind not in (*STOCK_KINDS, LocationKind.QUARANTINE):
        e["location"] = [_("The location is not a store location of this site.")]
    if e:
        raise StockInvalid(details=e)
    value = round_fen(abs(qty_change) * lot.unit_cost)
    with transaction.atomic(durable=True):
        needs_approval = value > approval_threshold() and not _can(actor, "inventory.approve_adjustment")
        adjustment = Adjustment.objects.create(
            warehouse=warehouse,
            item_id=lot.item_id,
            lot=lot,
            location=location,
            qty_change=qty_change,
            value=value,
            reason=reason.strip()[:255],
            status=AdjustmentStatus.PENDING if needs_approval else AdjustmentStatus.POSTED,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if not needs_approval:
            _post_adjustment(adjustment, actor=actor)
        audit.record("adjust_stock", adjustment, actor=actor, after=audit.snapshot(adjustment))
        return adjustment


def _can(actor: Any, perm: str) -> bool:
    if getattr(actor, "is_system", False):
        return True
    return bool(getattr(actor, "is_authenticated", False) and actor.has_perm(perm))


def _post_adjustment(adjustment: Adjustment, *, actor: Any) -> None:
    book = virtual_location(LocationKind.ADJUSTMENT)
    gain = adjustment.qty_change > 0
    _move(
        [
            MoveInput(
                item=adjustment.lot.item,
                lot=adjustment.lot,
                from_location=book if gain else adjustment.location,
                to_location=adjustment.location if gain else book,
                qty=abs(adjustment.qty_change),
            )
        ],
        actor=actor,
        reason=MoveReason.ADJUSTMENT,
        reference=adjustment.number,
        note=adjustment.reason,
        document_type="adjustment",
        document_id=adjustment.pk,
        check_usable=False,
    )


@retry_on_conflict
def decide_adjustment(adjustment: Adjustment, *, approve: bool, actor: Any) -> Adjustment:
    """Approve (post the move) or reject an adjustment waiting for approval."""
    if not _can(actor, "inventory.approve_adjustment"):
        raise InvalidState(_("You may not approve adjustments."), code="permission_denied")
    with transaction.atomic(durable=True):
        locked = (
            Adjustment.objects.select_for_update().select_related("lot", "lot__item", "location").get(pk=adjustment.pk)
        )
        if locked.status != AdjustmentStatus.PENDING:
            raise InvalidState()
        if approve:
            _post_adjustment(locked, actor=actor)
        locked.status = AdjustmentStatus.POSTED if approve else AdjustmentStatus.REJECTED
        locked.decided_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(
            "approve_adjustment" if approve else "reject_adjustment",
            locked,
            actor=actor,
            before={"status": AdjustmentStatus.PENDING},
            after={"status": locked.status},
        )
        return locked


# --- reversal ---------------------------------------------------------------------------------
@retry_on_conflict
def reverse_move(move: StockMove, *, actor: Any, reason: str = "") -> StockMove:
    """Post the opposite of ``move`` (the only way to correct the ledger)."""
    with transaction.atomic(durable=True):
        original = StockMove.objects.select_related("lot", "lot__item", "from_location", "to_location").get(pk=move.pk)
        if original.reason == MoveReason.REVERSAL:
            raise InvalidState(_("A reversal cannot itself be reversed; post a new move."))
        leg = _Leg(
            lot=original.lot,
            from_location=original.to_location,
            to_location=original.from_location,
            qty=original.qty,
            unit_cost=original.unit_cost,
            reverses=original,
        )
        locked = _lock_legs([leg])
        if StockMove.objects.filter(reverses=original).exists():
            raise AlreadyReversed()
        [reversal] = _apply(
            [leg],
            locked,
            actor=actor,
            reason=MoveReason.REVERSAL,
            reference=original.reference,
            document_type=original.document_type,
            document_id=original.document_id,
            note=reason,
        )
        audit.record(
            "reverse_move",
            reversal,
            actor=actor,
            after={"reverses": original.pk, "reason": reason},
            organisation_id=_org_of(original.from_location) or _org_of(original.to_location),
            site_id=original.from_location.site_id or original.to_location.site_id,
        )
        return reversal


# --- QC ---------------------------------------------------------------------------------------
@retry_on_conflict
def set_lot_qc_status(lot: Lot, status: str, *, reason: str, actor: Any) -> Lot:
    """Release, quarantine or reject a lot. Leaving 'released' releases its open reservations."""
    if status not in QcStatus.values:
        raise StockInvalid(details={"status": [_("Unknown QC status.")]})
    if status != QcStatus.RELEASED and not reason.strip():
        raise StockInvalid(details={"reason": [_("Give a reason.")]})
    with transaction.atomic(durable=True):
        locked = _set_qc(lot, status, reason=reason)
        before = {"qc_status": lot.qc_status}
        audit.record(
            "set_lot_qc_status", locked, actor=actor, before=before, after={"qc_status": status, "reason": reason}
        )
        return locked


def _set_qc(lot: Lot, status: str, *, reason: str) -> Lot:
    balances = locks.lock_balances(StockBalance.objects.filter(lot=lot))
    locked = Lot.objects.select_for_update().select_related("item").get(pk=lot.pk)
    if status != QcStatus.RELEASED:
        _drop_reservations(balances)
    locked.qc_status = status
    locked.qc_reason = reason.strip()[:255]
    locked.save(update_fields=["qc_status", "qc_reason"])
    return locked


def _drop_reservations(balances: list[StockBalance]) -> None:
    ids = [b.pk for b in balances if b.reserved]
    if not ids:
        return
    StockBalance.objects.filter(pk__in=ids).update(reserved=0)
    Reservation.objects.filter(balance_id__in=ids, status=ReservationStatus.ACTIVE).update(
        qty=0, status=ReservationStatus.RELEASED
    )


@retry_on_conflict
def quarantine_lot_everywhere(lot: Lot, *, reason: str, actor: Any) -> list[StockMove]:
    """Quarantine the lot and move every unit of it held in stores or in transit to quarantine."""
    if not reason.strip():
        raise StockInvalid(details={"reason": [_("Give a reason.")]})
    with transaction.atomic(durable=True):
        before = Lot.objects.get(pk=lot.pk).qc_status
        held = list(
            StockBalance.objects.filter(
                lot=lot, on_hand__gt=0, location__kind__in=[*STOCK_KINDS, LocationKind.IN_TRANSIT]
            ).select_related("location", "location__site")
        )
        targets = {b.location.site_id: quarantine_location(b.location.site) for b in held if b.location.site}
        locked_lot = _set_qc(lot, QcStatus.QUARANTINED, reason=reason)
        legs = [
            _Leg(
                lot=locked_lot,
                from_location=b.location,
                to_location=targets[b.location.site_id],
                qty=b.on_hand,
                unit_cost=locked_lot.unit_cost,
            )
            for b in held
            if b.location.site_id
        ]
        moves: list[StockMove] = []
        if legs:
            locked = _lock_legs(legs)
            for leg in legs:  # quantities re-read under the lock
                leg.qty = locked[(leg.lot.pk, leg.from_location.pk)].on_hand
            legs = [leg for leg in legs if leg.qty > 0]
            if legs:
                moves = _apply(
                    legs,
                    locked,
                    actor=actor,
                    reason=MoveReason.QUARANTINE,
                    note=reason,
                    reference=f"QC {locked_lot.batch}",
                    document_type="lot",
                    document_id=locked_lot.pk,
                )
        audit.record(
            "quarantine_lot_everywhere",
            locked_lot,
            actor=actor,
            before={"qc_status": before},
            after={
                "qc_status": QcStatus.QUARANTINED,
                "reason": reason,
                "moved": [{"from": str(m.from_location), "qty": m.qty} for m in moves],
            },
        )
        return moves


# --- stocktakes -------------------------------------------------------------------------------
@retry_on_conflict
def start_stocktake(
    warehouse: Site,
    *,
    actor: Any,
    locations: Sequence[Location] | None = None,
    is_blind: bool = False,
    note: str = "",
) -> Stocktake:
    """Open a count of the warehouse (or some of its locations): one line per lot and location held."""
    chosen = list(locations) if locations else _stock_locations(warehouse)
    e: dict[str, list[str]] = {}
    for location in chosen:
        _check_site_location(location, warehouse, e)
    if not chosen:
        e["locations"] = [_("The site has no store locations yet.")]
    if e:
        raise StockInvalid(details=e)
    with transaction.atomic(durable=True):
        stocktake = Stocktake.objects.create(
            warehouse=warehouse,
            status=StocktakeStatus.COUNTING,
            is_blind=is_blind,
            note=note[:255],
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        balances = StockBalance.objects.filter(location__in=chosen, on_hand__gt=0)
        StocktakeLine.objects.bulk_create(
            [
                StocktakeLine(
                    stocktake=stocktake,
                    location_id=b.location_id,
                    item_id=b.item_id,
                    lot_id=b.lot_id,
                    expected_qty=b.on_hand,
                )
                for b in balances.order_by("location_id", "item_id", "lot_id")
            ],
            batch_size=BULK,
        )
        audit.record(
            "start_stocktake",
            stocktake,
            actor=actor,
            after={"locations": [loc.code for loc in chosen], "is_blind": is_blind},
        )
        return stocktake


@retry_on_conflict
def record_counts(
    stocktake: Stocktake,
    counts: dict[int, int],
    *,
    actor: Any,
    extra: Sequence[tuple[Lot, Location, int]] = (),
) -> Stocktake:
    """Enter counted quantities (by line id) and lots found that were not expected."""
    e: dict[str, list[str]] = {}
    for line_id, qty in counts.items():
        if not isinstance(qty, int) or qty < 0:
            e[str(line_id)] = [_("Counts are whole numbers, zero or more.")]
    for lot, location, qty in extra:
        if not isinstance(qty, int) or qty < 0:
            e[f"{lot.batch}@{location.code}"] = [_("Counts are whole numbers, zero or more.")]
        _check_site_location(location, stocktake.warehouse, e)
    if e:
        raise StockInvalid(details=e)
    with transaction.atomic(durable=True):
        locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
        if locked.status != StocktakeStatus.COUNTING:
            raise InvalidState()
        lines = {line.pk: line for line in locked.lines.filter(pk__in=list(counts))}
        unknown = set(counts) - set(lines)
        if unknown:
            raise StockInvalid(details={"lines": [_("Unknown count lines: %(ids)s") % {"ids": sorted(unknown)}]})
        for line_id, qty in counts.items():
            lines[line_id].counted_qty = qty
        StocktakeLine.objects.bulk_update(list(lines.values()), ["counted_qty"], batch_size=BULK)
        for lot, location, qty in extra:
            StocktakeLine.objects.update_or_create(
                stocktake=locked,
                lot=lot,
                location=location,
                defaults={"item_id": lot.item_id, "counted_qty": qty},
                create_defaults={"item_id": lot.item_id, "counted_qty": qty, "expected_qty": 0},
            )
        audit.record("record_counts", locked, actor=actor, after={"counted": len(counts), "found": len(extra)})
        return locked


@retry_on_conflict
def submit_stocktake(stocktake: Stocktake, *, actor: Any) -> Stocktake:
    with transaction.atomic(durable=True):
        locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
        if locked.status != StocktakeStatus.COUNTING:
            raise InvalidState()
        missing = locked.lines.filter(counted_qty__isnull=True).count()
        if missing:
            raise StockInvalid(details={"lines": [_("%(n)d lines are not counted yet.") % {"n": missing}]})
        locked.status = StocktakeStatus.SUBMITTED
        locked.save(update_fields=["status"])
        audit.record(
            "submit_stocktake",
            locked,
            actor=actor,
            before={"status": StocktakeStatus.COUNTING},
            after={"status": locked.status},
        )
        return locked


@retry_on_conflict
def approve_stocktake(stocktake: Stocktake, *, actor: Any) -> Stocktake:
    """Post each variance (counted − expected) as a move against the adjustment location."""
    with transaction.atomic(durable=True):
        locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
        if locked.status != StocktakeStatus.SUBMITTED:
            raise InvalidState()
        book = virtual_location(LocationKind.ADJUSTMENT)
        moves = []
        for line in locked.lines.select_related("lot", "lot__item", "location"):
            variance = line.variance or 0
            if variance:
                moves.append(
                    MoveInput(
                        item=line.lot.item,
                        lot=line.lot,
                        from_location=book if variance > 0 else line.location,
                        to_location=line.location if variance > 0 else book,
                        qty=abs(variance),
                    )
                )
        posted = 0
        if moves:
            posted = len(
                _move(
                    moves,
                    actor=actor,
                    reason=MoveReason.STOCKTAKE,
                    reference=locked.number,
                    document_type="stocktake",
                    document_id=locked.pk,
                    check_usable=False,
                )
            )
        locked.status = StocktakeStatus.APPROVED
        locked.decided_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(
            "approve_stocktake",
            locked,
            actor=actor,
            before={"status": StocktakeStatus.SUBMITTED},
            after={"status": locked.status, "variance_moves": posted},
        )
        return locked


@retry_on_conflict
def cancel_stocktake(stocktake: Stocktake, *, actor: Any) -> Stocktake:
    with transaction.atomic(durable=True):
        locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
        if locked.status not in (StocktakeStatus.COUNTING, StocktakeStatus.SUBMITTED):
            raise InvalidState()
        before = {"status": locked.status}
        locked.status = StocktakeStatus.CANCELLED
        locked.save(update_fields=["status"])
        audit.record("cancel_stocktake", locked, actor=actor, before=before, after={"status": locked.status})
        return locked


# --- locations --------------------------------------------------------------------------------
@retry_on_conflict
def create_location(
    site: Site, *, code: str, name: str, kind: str = LocationKind.BIN, parent: Location | None = None, actor: Any
) -> Location:
    """Add a zone or bin to a site."""
    e: dict[str, list[str]] = {}
    if kind not in (LocationKind.ZONE, LocationKind.BIN, LocationKind.INTERNAL):
        e["kind"] = [_("Only zones and bins can be added.")]
    if not code.strip():
        e["code"] = [_("required")]
    if parent is not None and parent.site_id != site.pk:
        e["parent"] = [_("The parent is at another site.")]
    if Location.objects.filter(site=site, code=code.strip()).exists():
        e["code"] = [_("This code is already used at the site.")]
    if e:
        raise StockInvalid(details=e)
    with transaction.atomic(durable=True):
        location = Location.objects.create(
            site=site, code=code.strip()[:64], name=(name or code).strip()[:128], kind=kind, parent=parent
        )
        audit.record("create_location", location, actor=actor, after=audit.snapshot(location))
        return location


# --- stocktakes: stock found that is not on the count sheet ------------------------------------
@retry_on_conflict
def count_found_stock(
    stocktake: Stocktake,
    *,
    item: Item,
    location: Location,
    qty: int,
    batch: str = "",
    expiry: dt.date | None = None,
    actor: Any,
) -> StocktakeLine:
    """Count a lot in a bin that is not on the count sheet ("found stock").

    The lot is the item's existing batch, or a new batch (with its expiry, the item's reference price
    as unit cost, released) when the batch is not known yet. The line expects what the books hold for
    that lot in that bin now, so approving the stocktake posts only the difference.
    """
    batch = (batch or "").strip()
    e: dict[str, list[str]] = {}
    if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0:
        e["qty"] = [_("Counts are whole numbers, zero or more.")]
    if not batch:
        e["batch"] = [_("Give the batch number printed on the stock.")]
    elif len(batch) > 64:
        e["batch"] = [_("At most 64 characters.")]
    if not item.is_active:
        e["item"] = [_("The item is not active.")]
    _check_site_location(location, stocktake.warehouse, e)
    known = Lot.objects.filter(item=item, batch=batch).first() if batch else None
    if known is not None and expiry is not None and known.expiry is not None and known.expiry != expiry:
        e["expiry"] = [
            _("Batch %(batch)s is already known with expiry %(expiry)s.") % {"batch": batch, "expiry": known.expiry}
        ]
    if e:
        raise StockInvalid(details=e)
    with transaction.atomic(durable=True):
        locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
        if locked.status != StocktakeStatus.COUNTING:
            raise InvalidState()
        lot, created = Lot.objects.get_or_create(
            item=item,
            batch=batch,
            defaults={
                "expiry": expiry,
                "unit_cost": item.reference_price or Decimal(0),
                "qc_status": QcStatus.RELEASED,
                "qc_reason": _("Found in stocktake %(number)s") % {"number": locked.number},
            },
        )
        held = StockBalance.objects.filter(lot=lot, location=location).values_list("on_hand", flat=True).first()
        line = StocktakeLine.objects.filter(stocktake=locked, lot=lot, location=location).first()
        if line is None:
            line = StocktakeLine.objects.create(
                stocktake=locked,
                lot=lot,
                location=location,
                item_id=lot.item_id,
                expected_qty=held or 0,
                counted_qty=qty,
            )
        else:
            line.counted_qty = qty
            line.save(update_fields=["counted_qty"])
        audit.record(
            "count_found_stock",
            locked,
            actor=actor,
            after={
                "item": item.code,
                "batch": lot.batch,
                "expiry": lot.expiry.isoformat() if lot.expiry else None,
                "new_lot": created,
                "location": location.code,
                "expected": line.expected_qty,
                "counted": qty,
            },
        )
        return line


# --- expiry alerts ---------------------------------------------------------------------------


def _expiry_threshold(expiry: dt.date, on_date: dt.date, days: tuple[int, int]) -> int | None:
    """The alert band a lot is in on ``on_date``: 0 (expired), the short or the long band, or None."""
    left = (expiry - on_date).days
    long, short = days
    if left < 0:
        return 0
    if left <= short:
        return short
    if left <= long:
        return long
    return None


@retry_on_conflict
def send_expiry_alerts(on_date: dt.date, *, actor: Any) -> list[dict[str, Any]]:
    """Tell each site holding stock of lots that entered an expiry band (the long and short alerts,
    30 and 7 days by default, or expired) since the last alert — once per lot and band.

    One notification per site names its lots and quantities (link: the site's expiry page); each
    lot remembers the band it was last alerted for (``Lot.expiry_alerted_days``), so a missed day is
    caught up the next day and nothing is said twice. Audited per site. Returns one summary per site.
    """
    from baogong.core.models import Notification
    from baogong.core.notify import notify
    from baogong.inventory.queries import expiry_alert_days

    days = expiry_alert_days()
    limit = on_date + dt.timedelta(days=days[0])
    sent: list[dict[str, Any]] = []
    with transaction.atomic(durable=True):
        rows = (
            StockBalance.objects.filter(
                location__kind__in=list(STOCK_KINDS), on_hand__gt=0, lot__expiry__isnull=False, lot__expiry__lte=limit
            )
            .values_list("location__site_id", "lot_id", "lot__expiry", "lot__expiry_alerted_days", "on_hand")
            .order_by("location__site_id", "lot__expiry", "lot_id")
        )
        due: dict[int, int] = {}  # lot id -> band to record
        per_site: dict[int, dict[int, int]] = {}  # site id -> {lot id: on hand}
        for site_id, lot_id, expiry, alerted, on_hand in rows:
            band = _expiry_threshold(expiry, on_date, days) if expiry is not None else None
            if band is None or (alerted is not None and alerted <= band):
                continue
            due[lot_id] = band
            lots = per_site.setdefault(site_id, {})
            lots[lot_id] = lots.get(lot_id, 0) + on_hand
        if not due:
            return sent
        lots_by_id = {lot.pk: lot for lot in Lot.objects.select_related("item").filter(pk__in=due)}
        for site in Site.objects.filter(pk__in=per_site).order_by("pk"):
            held = per_site[site.pk]
            expired = [lid for lid in held if due[lid] == 0]
            lines = []
            for lot_id, qty in held.items():
                lot = lots_by_id[lot_id]
                state = (_("expired on %(date)s") if due[lot_id] == 0 else _("expires on %(date)s")) % {
                    "date": lot.expiry.isoformat() if lot.expiry else ""
                }
                lines.append(f"- {lot.item.code} {lot.item.name} #{lot.batch}: {qty} {lot.item.unit}, {state}")
            title = _("%(site)s: %(count)s lots expiring or expired") % {"site": site.name, "count": len(held)}
            notify(
                title,
                "\n".join(lines)
                + (
                    "\n\n" + _("Expired stock cannot be issued; move it to quarantine or destruction.")
                    if expired
                    else ""
                ),
                level=Notification.Level.CRITICAL if expired else Notification.Level.WARNING,
                link=f"/inventory/expiry/?warehouse={site.code}",
                organisation_id=site.organisation_id,
                site_id=site.pk,
            )
            summary = {
                "site": site.code,
                "lots": [
                    {"item": lots_by_id[lid].item.code, "batch": lots_by_id[lid].batch, "qty": qty, "band": due[lid]}
                    for lid, qty in held.items()
                ],
            }
            audit.record("send_expiry_alerts", site, actor=actor, after={"on": on_date.isoformat(), **summary})
            sent.append(summary)
        for band in sorted(set(due.values())):
            Lot.objects.filter(pk__in=[lid for lid, b in due.items() if b == band]).update(expiry_alerted_days=band)
    return sent
