"""Every change of stock. Each public action is one transaction: validate → lock (pk order) →
write balances with conditional F() updates → append moves → audit.

Other apps (distribution, procurement, pharmacy, fleet) move stock only through these functions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core import audit
from baogong.core.money import round_fen
from baogong.inventory import locks
from baogong.inventory.choices import (
    SOURCE_KINDS,
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
    InsufficientStock,
    InvalidState,
    LotNotReleased,
    StockInvalid,
)
from baogong.inventory.locations import (
    default_location,
    in_transit_location,
    quarantine_location,
    recipient_location,
    virtual_location,
)
from baogong.inventory.models import (
    Adjustment,
    Issue,
    IssueLine,
    Location,
    Lot,
    Receipt,
    ReceiptLine,
    Reservation,
    StockBalance,
    StockMove,
    Stocktake,
    StocktakeLine,
    Transfer,
    TransferLine,
)
from baogong.orgs.models import Site

Key = tuple[int, int]
# Where a lot that is not usable (not released, or expired) may still go.
UNUSABLE_DESTINATIONS = frozenset(
    {LocationKind.QUARANTINE, LocationKind.LOSS, LocationKind.SUPPLIER, LocationKind.ADJUSTMENT}
)
BULK = 1000


# --- inputs -----------------------------------------------------------------------------------
@dataclass
class ReceiptLineInput:
    item: Item
    batch: str
    qty: int
    unit_cost: Decimal
    expiry: dt.date | None = None
    production_date: dt.date | None = None
    location: Location | None = None


@dataclass
class IssueLineInput:
    item: Item
    qty: int
    lot: Lot | None = None


@dataclass
class MoveInput:
    item: Item
    lot: Lot
    from_location: Location
    to_location: Location
    qty: int
    reservation: Reservation | None = None


@dataclass
class TransferLineInput:
    lot: Lot
    from_location: Location
    qty: int
    to_location: Location | None = None


@dataclass
class _Leg:
    lot: Lot
    from_location: Location
    to_location: Location
    qty: int
    unit_cost: Decimal
    consume: int = 0  # reserved units the move uses up
    reservation: Reservation | None = None
    reverses: StockMove | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- helpers ----------------------------------------------------------------------------------
def today() -> dt.date:
    return timezone.localdate()


def _actor_fields(actor: Any) -> dict[str, Any]:
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if user is not None:
        return {"actor": user, "actor_label": user.get_username()}
    return {"actor": None, "actor_label": str(getattr(actor, "audit_label", "") or "system")}


def _is_usable(lot: Lot, on: dt.date) -> bool:
    return lot.qc_status == QcStatus.RELEASED and (lot.expiry is None or lot.expiry >= on)


def _keeps_balance(location: Location) -> bool:
    return location.kind not in SOURCE_KINDS


def _check_destination(lot: Lot, source: Location, destination: Location) -> None:
    """Invariant 2: an unreleased or expired lot only goes to quarantine, return or destruction."""
    if destination.kind in UNUSABLE_DESTINATIONS:
        return
    if lot.qc_status != QcStatus.RELEASED:
        raise LotNotReleased(
            _("Lot %(lot)s is %(status)s; it can only go to quarantine, back to the supplier or to destruction.")
            % {"lot": lot.batch, "status": lot.get_qc_status_display()},
            details={"lot": lot.batch, "qc_status": lot.qc_status},
        )
    if source.kind in STOCK_KINDS and lot.expiry is not None and lot.expiry < today():
        raise LotNotReleased(
            _("Lot %(lot)s expired on %(expiry)s.") % {"lot": lot.batch, "expiry": lot.expiry},
            details={"lot": lot.batch, "expiry": lot.expiry.isoformat()},
        )


def _leg_keys(legs: Iterable[_Leg]) -> tuple[set[Key], set[Key]]:
    sources: set[Key] = set()
    destinations: set[Key] = set()
    for leg in legs:
        if _keeps_balance(leg.from_location):
            sources.add((leg.lot.pk, leg.from_location.pk))
        if _keeps_balance(leg.to_location):
            destinations.add((leg.lot.pk, leg.to_location.pk))
    return sources, destinations


def _lock_legs(legs: Sequence[_Leg], *, related: bool = True) -> dict[Key, StockBalance]:
    """Create missing destination balances, then lock every balance the legs touch, in pk order."""
    sources, destinations = _leg_keys(legs)
    locks.ensure_balances((leg.lot, leg.to_location) for leg in legs if _keeps_balance(leg.to_location))
    return locks.balances_for_update(sources | destinations, related=related)


def _shortage(lines: list[dict[str, Any]]) -> InsufficientStock:
    return InsufficientStock(lines=lines)


def _apply(
    legs: Sequence[_Leg],
    locked: dict[Key, StockBalance],
    *,
    actor: Any,
    reason: str,
    reference: str = "",
    document_type: str = "",
    document_id: int | None = None,
    note: str = "",
) -> list[StockMove]:
    """Change the locked balances with conditional F() updates and append the moves."""
    out_qty: dict[Key, int] = defaultdict(int)
    out_consume: dict[Key, int] = defaultdict(int)
    in_qty: dict[Key, int] = defaultdict(int)
    for leg in legs:
        if leg.qty <= 0:
            raise StockInvalid(details={"qty": [_("Quantities must be whole numbers above zero.")]})
        if leg.from_location.pk == leg.to_location.pk:
            raise StockInvalid(details={"to_location": [_("Source and destination are the same location.")]})
        if _keeps_balance(leg.from_location):
            out_qty[(leg.lot.pk, leg.from_location.pk)] += leg.qty
            out_consume[(leg.lot.pk, leg.from_location.pk)] += leg.consume
        if _keeps_balance(leg.to_location):
            in_qty[(leg.lot.pk, leg.to_location.pk)] += leg.qty
    short: list[dict[str, Any]] = []
    for key in sorted(out_qty):
        balance = locked.get(key)
        qty, consume = out_qty[key], out_consume[key]
        updated = 0
        if balance is not None:
            updated = StockBalance.objects.filter(
                pk=balance.pk, reserved__gte=consume, on_hand__gte=F("reserved") - consume + qty
            ).update(on_hand=F("on_hand") - qty, reserved=F("reserved") - consume)
        if not updated:
            short.append(
                {
                    "lot": key[0],
                    "location": key[1],
                    "requested": qty,
                    "available": (balance.on_hand - balance.reserved + consume) if balance else 0,
                }
            )
    if short:
        raise _shortage(short)
    increments = [(locked[key].pk, in_qty[key]) for key in sorted(in_qty)]
    if len(increments) <= 3:
        for pk, qty in increments:
            StockBalance.objects.filter(pk=pk).update(on_hand=F("on_hand") + qty)
    else:
        _add_on_hand(increments)
    at = timezone.now()
    who = _actor_fields(actor)
    moves = [
        StockMove(
            at=at,
            item_id=leg.lot.item_id,
            lot=leg.lot,
            from_location=leg.from_location,
            to_location=leg.to_location,
            qty=leg.qty,
            unit_cost=leg.unit_cost,
            reason=reason,
            note=note[:255],
            document_type=document_type,
            document_id=document_id,
            reference=reference[:128],
            reverses=leg.reverses,
            **who,
        )
        for leg in legs
    ]
    return StockMove.objects.bulk_create(moves, batch_size=BULK)


def _add_on_hand(increments: list[tuple[int, int]]) -> None:
    """``on_hand = on_hand + n`` for many locked rows, one statement per 1,000 (a relative update, like F())."""
    table = StockBalance._meta.db_table
    for start in range(0, len(increments), 1000):
        chunk = increments[start : start + 1000]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        params = [v for pair in chunk for v in pair]
        sql = (
            f'UPDATE "{table}" SET "on_hand" = "{table}"."on_hand" + v.q '  # noqa: S608 - fixed identifiers
            f"FROM (SELECT column1 AS bid, column2 AS q FROM (VALUES {values}) AS vv) AS v "
            f'WHERE "{table}"."id" = v.bid'
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.rowcount != len(chunk):  # pragma: no cover - the rows are locked
                raise InvalidState(_("Stock kept changing; try again."))


def _consume_reservations(legs: Sequence[_Leg]) -> None:
    """Reduce the open quantity of the reservations the legs used (balances were locked first)."""
    by_reservation: dict[int, int] = defaultdict(int)
    for leg in legs:
        if leg.reservation is not None and leg.consume:
            by_reservation[leg.reservation.pk] += leg.consume
    for pk in sorted(by_reservation):
        n = by_reservation[pk]
        done = Reservation.objects.filter(pk=pk, status=ReservationStatus.ACTIVE, qty__gte=n).update(
            qty=F("qty") - n,
            status=Case(When(qty=n, then=Value(ReservationStatus.CONSUMED.value)), default=F("status")),
        )
        if not done:
            raise InvalidState(_("The reservation is no longer open for this quantity."), details={"reservation": pk})


def _line_errors(errors: dict[int, dict[str, list[str]]]) -> StockInvalid:
    return StockInvalid(details={"lines": {str(i): e for i, e in errors.items()}})


def _stock_locations(site: Site) -> list[Location]:
    return list(Location.objects.filter(site=site, kind__in=list(STOCK_KINDS), is_active=True))


def _check_site_location(location: Location, site: Site, errors: dict[str, list[str]]) -> None:
    if location.site_id != site.pk or location.kind not in STOCK_KINDS:
        errors.setdefault("location", []).append(_("The location is not a store location of this site."))


# --- receive ----------------------------------------------------------------------------------
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
    """Receive lots from a supplier into the warehouse (its default location unless a bin is named)."""
    if qc_status not in QcStatus.values:
        raise StockInvalid(details={"qc_status": [_("Unknown QC status.")]})
    if not lines:
        raise StockInvalid(details={"lines": [_("Add at least one line.")]})
    errors: dict[int, dict[str, list[str]]] = {}
    for i, line in enumerate(lines):
        e: dict[str, list[str]] = {}
        if not isinstance(line.qty, int) or line.qty <= 0:
            e["qty"] = [_("Quantities must be whole numbers above zero.")]
        if line.unit_cost is None or Decimal(line.unit_cost) < 0:
            e["unit_cost"] = [_("The unit cost cannot be negative.")]
        if not line.item.is_active:
            e["item"] = [_("The item is not active.")]
        if line.expiry and line.production_date and line.expiry < line.production_date:
            e["expiry"] = [_("Expiry is before the production date.")]
        if line.location is not None:
            _check_site_location(line.location, warehouse, e)
        if len((line.batch or "").strip()) > 64:
            e["batch"] = [_("At most 64 characters.")]
        if e:
            errors[i] = e
    if errors:
        raise _line_errors(errors)
    with transaction.atomic(durable=True):
        receipt = _receive(
            warehouse,
            lines,
            actor=actor,
            reference=reference,
            qc_status=qc_status,
            supplier_ref=supplier_ref,
            supplier_name=supplier_name,
        )
    return receipt


def _receive(
    warehouse: Site,
    lines: list[ReceiptLineInput],
    *,
    actor: Any,
    reference: str,
    qc_status: str,
    supplier_ref: str,
    supplier_name: str,
) -> Receipt:
    on = today()
    store = default_location(warehouse)
    supplier = virtual_location(LocationKind.SUPPLIER)
    batches = [(line.item.pk, (line.batch or "").strip() or f"R{on:%Y%m%d}") for line in lines]
    new_lots: dict[tuple[int, str], Lot] = {}
    for line, (item_id, batch) in zip(lines, batches, strict=True):
        new_lots.setdefault(
            (item_id, batch),
            Lot(
                item_id=item_id,
                batch=batch,
                expiry=line.expiry,
                production_date=line.production_date,
                unit_cost=Decimal(line.unit_cost),
                qc_status=qc_status,
                supplier_name=supplier_name[:128],
                supplier_ref=supplier_ref[:64],
            ),
        )
    ordered = [new_lots[k] for k in sorted(new_lots)]
    Lot.objects.bulk_create(ordered, batch_size=BULK, ignore_conflicts=True)
    lots: dict[tuple[int, str], Lot] = {}
    item_ids = sorted({k[0] for k in new_lots})
    batch_names = sorted({k[1] for k in new_lots})
    for lot in Lot.objects.filter(item_id__in=item_ids, batch__in=batch_names).select_related("item"):
        lots[(lot.item_id, lot.batch)] = lot
    errors: dict[int, dict[str, list[str]]] = {}
    for i, (line, key) in enumerate(zip(lines, batches, strict=True)):
        lot = lots[key]
        if line.expiry and lot.expiry and lot.expiry != line.expiry:
            errors[i] = {
                "expiry": [
                    _("Batch %(batch)s is already known with expiry %(expiry)s.")
                    % {"batch": lot.batch, "expiry": lot.expiry}
                ]
            }
    if errors:
        raise _line_errors(errors)
    receipt = Receipt.objects.create(
        warehouse=warehouse,
        reference=reference[:128],
        supplier_ref=supplier_ref[:128],
        qc_status=qc_status,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    legs = [
        _Leg(
            lot=lots[key],
            from_location=supplier,
            to_location=line.location or store,
            qty=line.qty,
            unit_cost=Decimal(line.unit_cost),
        )
        for line, key in zip(lines, batches, strict=True)
    ]
    locked = _lock_legs(legs, related=False)
    _apply(
        legs,
        locked,
        actor=actor,
        reason=MoveReason.RECEIPT,
        reference=reference or receipt.number,
        document_type="receipt",
        document_id=receipt.pk,
    )
    ReceiptLine.objects.bulk_create(
        [
            ReceiptLine(
                receipt=receipt,
                item_id=leg.lot.item_id,
                lot=leg.lot,
                location=leg.to_location,
                qty=leg.qty,
                unit_cost=leg.unit_cost,
            )
            for leg in legs
        ],
        batch_size=BULK,
    )
    audit.record(
        "receive_stock",
        receipt,
        actor=actor,
        after={
            "warehouse": warehouse.code,
            "reference": reference,
            "qc_status": qc_status,
            "lines": len(legs),
            "qty": sum(leg.qty for leg in legs),
            "value": round_fen(sum((leg.unit_cost * leg.qty for leg in legs), Decimal(0))),
        },
    )
    return receipt


# --- FEFO -------------------------------------------------------------------------------------
def _fefo_key(balance: StockBalance) -> tuple[Any, ...]:
    lot = balance.lot
    return (
        lot.expiry is None,
        lot.expiry or dt.date.max,
        lot.pk,
        not balance.location.is_default,
        balance.location.code,
    )


def _candidates(warehouse: Site, item_ids: Iterable[int], *, lock: bool) -> list[StockBalance]:
    on = today()
    qs = StockBalance.objects.filter(
        location__site=warehouse,
        location__kind__in=list(STOCK_KINDS),
        item_id__in=sorted(set(item_ids)),
        lot__qc_status=QcStatus.RELEASED,
        on_hand__gt=F("reserved"),
    ).filter(Q(lot__expiry__isnull=True) | Q(lot__expiry__gte=on))
    if lock:
        rows = list(qs.select_for_update(of=("self",)).select_related("lot", "location").order_by("pk"))
    else:
        rows = list(qs.select_related("lot", "location"))
    return sorted(rows, key=_fefo_key)


def _plan_fefo(
    candidates: list[StockBalance], needs: list[IssueLineInput]
) -> tuple[list[tuple[int, StockBalance, int]], list[dict[str, Any]]]:
    """Pick balances earliest-expiry-first for each need: ``[(line index, balance, qty)]``, shortages."""
    left = {b.pk: b.on_hand - b.reserved for b in candidates}
    picks: list[tuple[int, StockBalance, int]] = []
    short: list[dict[str, Any]] = []
    for i, need in enumerate(needs):
        wanted = need.qty
        pool = [b for b in candidates if b.item_id == need.item.pk and (need.lot is None or b.lot_id == need.lot.pk)]
        for balance in pool:
            if wanted == 0:
                break
            take = min(wanted, left[balance.pk])
            if take > 0:
                picks.append((i, balance, take))
                left[balance.pk] -= take
                wanted -= take
        if wanted:
            short.append(
                {
                    "line": i,
                    "item": need.item.code,
                    "lot": need.lot.batch if need.lot else None,
                    "requested": need.qty,
                    "available": need.qty - wanted,
                }
            )
    return picks, short


def _validate_issue_lines(lines: Sequence[IssueLineInput]) -> None:
    if not lines:
        raise StockInvalid(details={"lines": [_("Add at least one line.")]})
    errors: dict[int, dict[str, list[str]]] = {}
    for i, line in enumerate(lines):
        if not isinstance(line.qty, int) or line.qty <= 0:
            errors[i] = {"qty": [_("Quantities must be whole numbers above zero.")]}
        elif line.lot is not None and line.lot.item_id != line.item.pk:
            errors[i] = {"lot": [_("The lot is not of this item.")]}
    if errors:
        raise _line_errors(errors)


# --- issue ------------------------------------------------------------------------------------
def issue_stock(
    warehouse: Site, recipient: Site, lines: list[IssueLineInput], *, actor: Any, reference: str = ""
) -> Issue:
    """Issue stock to a recipient site, lots picked earliest-expiry-first among released, unexpired lots.

    Raises :class:`InsufficientStock` (writing nothing) when any line cannot be filled in full.
    """
    _validate_issue_lines(lines)
    if recipient.pk == warehouse.pk:
        raise StockInvalid(details={"recipient": [_("The recipient must be another site.")]})
    for line in lines:
        if line.lot is not None and not _is_usable(line.lot, today()):
            raise LotNotReleased(details={"lot": line.lot.batch, "qc_status": line.lot.qc_status})
    with transaction.atomic(durable=True):
        destination = recipient_location(recipient)
        item_ids = [line.item.pk for line in lines]
        planned_dest: set[Key] = set()
        for _attempt in range(5):
            # Plan without locks, make the destination rows, then lock sources and destinations together.
            picks, short = _plan_fefo(_candidates(warehouse, item_ids, lock=False), lines)
            if short:
                break
            wanted_dest = {(b.lot_id, destination.pk) for _i, b, _q in picks}
            if wanted_dest - planned_dest:
                planned_dest |= wanted_dest
                locks.ensure_balances((b.lot, destination) for _i, b, _q in picks)
            candidate_keys = {(b.lot_id, b.location_id) for b in _candidates(warehouse, item_ids, lock=False)}
            locked = locks.balances_for_update(candidate_keys | planned_dest)
            # Re-plan on the locked numbers.
            on = today()
            fresh = sorted(
                (
                    b
                    for k, b in locked.items()
                    if k[1] != destination.pk and b.on_hand > b.reserved and _is_usable(b.lot, on)
                ),
                key=_fefo_key,
            )
            picks, short = _plan_fefo(fresh, lines)
            if short or {(b.lot_id, destination.pk) for _i, b, _q in picks} <= planned_dest:
                break
        else:  # pragma: no cover - only under extreme churn of new lots
            raise InvalidState(_("Stock kept changing; try again."))
        if short:
            raise _shortage(short)
        issue = Issue.objects.create(
            warehouse=warehouse,
            recipient=recipient,
            reference=reference[:128],
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        legs = [
            _Leg(lot=b.lot, from_location=b.location, to_location=destination, qty=q, unit_cost=b.lot.unit_cost)
            for _i, b, q in picks
        ]
        _apply(
            legs,
            locked,
            actor=actor,
            reason=MoveReason.ISSUE,
            reference=reference or issue.number,
            document_type="issue",
            document_id=issue.pk,
        )
        IssueLine.objects.bulk_create(
            [
                IssueLine(
                    issue=issue,
                    item_id=leg.lot.item_id,
                    lot=leg.lot,
                    location=leg.from_location,
                    qty=leg.qty,
                    unit_cost=leg.unit_cost,
                )
                for leg in legs
            ]
        )
        audit.record(
            "issue_stock",
            issue,
            actor=actor,
            after={
                "warehouse": warehouse.code,
                "recipient": recipient.code,
                "reference": reference,
                "lines": [{"item": leg.lot.item.code, "lot": leg.lot.batch, "qty": leg.qty} for leg in legs],
            },
        )
        return issue


# --- reservations -----------------------------------------------------------------------------
def reserve_stock(warehouse: Site, item: Item, qty: int, *, actor: Any, reference: str) -> list[Reservation]:
    """Reserve ``qty`` of ``item`` at the warehouse, earliest expiry first, across lots and bins."""
    if not isinstance(qty, int) or qty <= 0:
        raise StockInvalid(details={"qty": [_("Quantities must be whole numbers above zero.")]})
    if not reference.strip():
        raise StockInvalid(details={"reference": [_("Name the document the stock is reserved for.")]})
    with transaction.atomic(durable=True):
        candidates = _candidates(warehouse, [item.pk], lock=True)
        picks, short = _plan_fefo(candidates, [IssueLineInput(item=item, qty=qty)])
        if short:
            raise _shortage(short)
        made = []
        user = actor if getattr(actor, "is_authenticated", False) else None
        for _i, balance, n in picks:
            done = StockBalance.objects.filter(pk=balance.pk, on_hand__gte=F("reserved") + n).update(
                reserved=F("reserved") + n
            )
            if not done:  # pragma: no cover - the row is locked, so this cannot happen
                raise _shortage([{"item": item.code, "requested": qty, "available": 0}])
            made.append(
                Reservation(
                    balance=balance,
                    item=item,
                    lot=balance.lot,
                    location=balance.location,
                    qty=n,
                    original_qty=n,
                    reference=reference[:128],
                    created_by=user,
                )
            )
        Reservation.objects.bulk_create(made)
        audit.record(
            "reserve_stock",
            made[0],
            actor=actor,
            after={
                "warehouse": warehouse.code,
                "item": item.code,
                "qty": qty,
                "reference": reference,
                "lots": [{"lot": r.lot.batch, "location": r.location.code, "qty": r.qty} for r in made],
            },
            organisation_id=warehouse.organisation_id,
            site_id=warehouse.pk,
        )
        return made


def release_reservation(reservation: Reservation, *, actor: Any, qty: int | None = None) -> Reservation:
    """Give back all (or ``qty``) of the reservation's open units."""
    with transaction.atomic(durable=True):
        return _release_reservation(reservation, actor=actor, qty=qty)


def _release_reservation(reservation: Reservation, *, actor: Any, qty: int | None = None) -> Reservation:
    locks.lock_balance_ids([reservation.balance_id])
    locked = Reservation.objects.select_for_update().select_related("lot", "location").get(pk=reservation.pk)
    if locked.status != ReservationStatus.ACTIVE:
        raise InvalidState(_("The reservation is not active."))
    n = locked.qty if qty is None else qty
    if not isinstance(n, int) or n <= 0 or n > locked.qty:
        raise StockInvalid(details={"qty": [_("Release between 1 and %(n)d units.") % {"n": locked.qty}]})
    StockBalance.objects.filter(pk=locked.balance_id, reserved__gte=n).update(reserved=F("reserved") - n)
    before = {"qty": locked.qty, "status": locked.status}
    locked.qty -= n
    if locked.qty == 0:
        locked.status = ReservationStatus.RELEASED
    locked.save(update_fields=["qty", "status"])
    audit.record(
        "release_reservation", locked, actor=actor, before=before, after={"qty": locked.qty, "status": locked.status}
    )
    return locked


# --- generic moves ----------------------------------------------------------------------------
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
    if reason not in MoveReason.values:
        raise StockInvalid(details={"reason": [_("Unknown reason.")]})
    if not lines:
        raise StockInvalid(details={"lines": [_("Add at least one line.")]})
    errors: dict[int, dict[str, list[str]]] = {}
    for i, line in enumerate(lines):
        e: dict[str, list[str]] = {}
        if not isinstance(line.qty, int) or line.qty <= 0:
            e["qty"] = [_("Quantities must be whole numbers above zero.")]
        if line.lot.item_id != line.item.pk:
            e["lot"] = [_("The lot is not of this item.")]
        if line.from_location.pk == line.to_location.pk:
            e["to_location"] = [_("Source and destination are the same location.")]
        r = line.reservation
        if r is not None and (r.lot_id != line.lot.pk or r.location_id != line.from_location.pk):
            e["reservation"] = [_("The reservation is for another lot or location.")]
        if e:
            errors[i] = e
    if errors:
        raise _line_errors(errors)
    with transaction.atomic(durable=True):
        return _move(
            lines,
            actor=actor,
            reason=reason,
            reference=reference,
            document_type=document_type,
            document_id=document_id,
            note=note,
        )


def _move(
    lines: Sequence[MoveInput],
    *,
    actor: Any,
    reason: str,
    reference: str,
    document_type: str = "",
    document_id: int | None = None,
    note: str = "",
    check_usable: bool = True,
) -> list[StockMove]:
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
    locked = _lock_legs(legs)
    reservation_ids = sorted({leg.reservation.pk for leg in legs if leg.reservation is not None})
    open_qty = {
        r.pk: r.qty
        for r in Reservation.objects.select_for_update()
        .filter(pk__in=reservation_ids, status=ReservationStatus.ACTIVE)
        .order_by("pk")
    }
    for leg in legs:
        if leg.reservation is not None:
            left = open_qty.get(leg.reservation.pk, 0)
            leg.consume = min(left, leg.qty)
            open_qty[leg.reservation.pk] = left - leg.consume
    moves = _apply(
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
    audit.record(
        "move_stock",
        first,
        actor=actor,
        after={
            "reason": reason,
            "reference": reference,
            "moves": [
                {"lot": m.lot.batch, "from": str(m.from_location), "to": str(m.to_location), "qty": m.qty}
                for m in moves
            ],
        },
        organisation_id=_org_of(first.from_location) or _org_of(first.to_location),
        site_id=first.from_location.site_id or first.to_location.site_id,
        object_repr=f"{reason} {reference}".strip(),
    )
    return moves


def _org_of(location: Location) -> int | None:
    return location.site.organisation_id if location.site_id and location.site else None


# --- transfers --------------------------------------------------------------------------------
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
