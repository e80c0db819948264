"""Ledger primitives that run inside the caller's transaction.

Every public action in :mod:`baogong.inventory.actions` is one *durable* transaction, so another app
that must do several things in ONE transaction (distribution's confirm and delivery, pharmacy,
procurement's receive-on-inspection) cannot call it. Those apps call these primitives instead,
inside their own ``transaction.atomic()``::

    with transaction.atomic(durable=True):
        shipment = ...                                  # the caller's own writes
        ledger.move([...], actor=actor, reason=MoveReason.ISSUE, reference=shipment.number)
        ledger.release(reservation, actor=actor)

Each primitive validates its input (field errors raise :class:`StockInvalid`), locks every balance
it touches in primary-key order, changes them with conditional ``UPDATE``s whose row counts are
checked, appends the moves and records the same audit event as the matching public action. When
stock is short it raises :class:`InsufficientStock` before writing anything, so the caller's
transaction can roll back or carry on. Each refuses to run outside a transaction
(:class:`OutsideTransaction`).

=====================  ==================================  ===================
primitive              durable public action               audit verb
=====================  ==================================  ===================
``receive``            ``actions.receive_stock``           ``receive_stock``
``issue`` (FEFO)       ``actions.issue_stock``             ``issue_stock``
``move``               ``actions.move_stock``              ``move_stock``
``reserve``            ``actions.reserve_stock``           ``reserve_stock``
``reserve_many``       (all-or-nothing, many items)        ``reserve_stock``
``release``            ``actions.release_reservation``     ``release_reservation``
``consume_reservation``  (a ``move`` of reserved units)    ``move_stock``
=====================  ==================================  ===================

Building blocks for callers that plan themselves: :func:`candidates` (usable balances at a
warehouse, optionally locked in pk order), :func:`plan_fefo` (earliest expiry first) and
:func:`fefo_key`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core import audit
from baogong.core.money import round_fen
from baogong.core.transactions import OutsideTransaction
from baogong.inventory import locks
from baogong.inventory.choices import (
    SOURCE_KINDS,
    STOCK_KINDS,
    LocationKind,
    MoveReason,
    QcStatus,
    ReservationStatus,
)
from baogong.inventory.errors import InsufficientStock, InvalidState, LotNotReleased, StockInvalid
from baogong.inventory.locations import default_location, recipient_location, virtual_location
from baogong.inventory.models import (
    Issue,
    IssueLine,
    Location,
    Lot,
    Receipt,
    ReceiptLine,
    Reservation,
    StockBalance,
    StockMove,
)
from baogong.orgs.models import Site

__all__ = [
    "IssueLineInput",
    "MoveInput",
    "OutsideTransaction",
    "ReceiptLineInput",
    "ReserveNeed",
    "candidates",
    "consume_reservation",
    "fefo_key",
    "issue",
    "move",
    "plan_fefo",
    "receive",
    "release",
    "require_transaction",
    "reserve",
    "reserve_many",
    "shortage",
]

Key = tuple[int, int]  # (lot_id, location_id)
# Where a lot that is not usable (not released, or expired) may still go.
UNUSABLE_DESTINATIONS = frozenset(
    {LocationKind.QUARANTINE, LocationKind.LOSS, LocationKind.SUPPLIER, LocationKind.ADJUSTMENT}
)
BULK = 1000
IN_CHUNK = 900  # ids per ``IN (...)`` list (SQLite's old 999-parameter limit)


def require_transaction() -> None:
    """Refuse to write the ledger outside ``transaction.atomic()``."""
    if not transaction.get_connection().in_atomic_block:
        raise OutsideTransaction(
            "Ledger primitives run inside the caller's transaction; wrap the call in transaction.atomic() "
            "or use the durable action in baogong.inventory.actions."
        )


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


class NeedLike(Protocol):
    @property
    def key(self) -> Any: ...
    @property
    def item(self) -> Item: ...
    @property
    def qty(self) -> int: ...
    @property
    def reference(self) -> str: ...


@dataclass(frozen=True)
class ReserveNeed:
    """One line of :func:`reserve_many`: ``key`` is the caller's handle, returned with its reservations."""

    key: Hashable
    item: Item
    qty: int
    reference: str


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


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _actor_fields(actor: Any) -> dict[str, Any]:
    user = _user(actor)
    if user is not None:
        return {"actor": user, "actor_label": user.get_username()}
    return {"actor": None, "actor_label": str(getattr(actor, "audit_label", "") or "system")}


def is_usable(lot: Lot, on: dt.date) -> bool:
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


def lock_legs(legs: Sequence[_Leg], *, related: bool = True) -> dict[Key, StockBalance]:
    """Create missing destination balances, then lock every balance the legs touch, in pk order."""
    sources, destinations = _leg_keys(legs)
    locks.ensure_balances((leg.lot, leg.to_location) for leg in legs if _keeps_balance(leg.to_location))
    return locks.balances_for_update(sources | destinations, related=related)


def shortage(lines: list[dict[str, Any]]) -> InsufficientStock:
    """The ``insufficient_stock`` error for shortage lines (as :func:`plan_fefo` reports them)."""
    return InsufficientStock(lines=lines)


def apply_legs(
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
        raise shortage(short)
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


def _insert_on_hand(rows: list[tuple[int, int, int, int]]) -> None:
    """New balances ``(item_id, lot_id, location_id, qty)`` in one statement per 10,000 rows.

    A row that another transaction created meanwhile is added to (``ON CONFLICT … DO UPDATE``, which
    locks it like the relative update would), so the balance still equals its moves.
    """
    table = StockBalance._meta.db_table
    insert_rows(
        table,
        ("item_id", "lot_id", "location_id", "on_hand", "reserved"),
        ("bigint", "bigint", "bigint", "integer", "integer"),
        [(*row, 0) for row in rows],
        suffix=f'ON CONFLICT ("lot_id", "location_id") DO UPDATE SET "on_hand" = "{table}"."on_hand" + '
        'excluded."on_hand"',
    )


def insert_rows(
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    constants: Sequence[tuple[str, str, Any]] = (),
    suffix: str = "",
) -> None:
    """``INSERT`` many rows without building model instances (large receipts).

    PostgreSQL: one ``INSERT … SELECT FROM unnest(arrays)`` per 10,000 rows — one array literal per
    varying column, ``constants`` ``(column, type, value)`` as single parameters; SQLite:
    ``executemany`` of one prepared statement. ``types`` are PostgreSQL element types; values must
    already be adapted (see :func:`_db_value`). ``suffix`` is an ``ON CONFLICT`` clause.
    """
    if not rows:
        return
    names = ", ".join(f'"{c}"' for c in [*columns, *(c[0] for c in constants)])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{t}[]" for t in types)
            fixed = "".join(f", %s::{c[1]}" for c in constants)
            sql = f'INSERT INTO "{table}" ({names}) SELECT *{fixed} FROM unnest({arrays}) {suffix}'  # noqa: S608
            for start in range(0, len(rows), 10_000):
                chunk = rows[start : start + 10_000]
                literals = [_array_literal(column) for column in zip(*chunk, strict=True)]
                cursor.execute(sql, [*(c[2] for c in constants), *literals])
        else:
            marks = ", ".join(["%s"] * (len(columns) + len(constants)))
            tail = tuple(c[2] for c in constants)
            cursor.executemany(
                f'INSERT INTO "{table}" ({names}) VALUES ({marks}) {suffix}',  # noqa: S608
                [(*row, *tail) for row in rows],
            )


def _array_literal(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal (``{1,NULL,"a b"}``) of ints, decimals, dates and strings."""
    out = []
    for value in values:
        if value is None:
            out.append("NULL")
        elif isinstance(value, bool):
            out.append("t" if value else "f")
        elif isinstance(value, int | Decimal):
            out.append(str(value))
        else:
            text = value.isoformat() if isinstance(value, dt.date) else str(value)
            out.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(out) + "}"


def _db_value(value: Any) -> Any:
    """A date, time or decimal as the database driver takes it in raw SQL."""
    ops = connection.ops
    if isinstance(value, dt.datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return ops.adapt_datefield_value(value)
    if isinstance(value, Decimal):
        return ops.adapt_decimalfield_value(value)
    return value


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


def line_errors(errors: dict[int, dict[str, list[str]]]) -> StockInvalid:
    return StockInvalid(details={"lines": {str(i): e for i, e in errors.items()}})


def check_site_location(location: Location, site: Site, errors: dict[str, list[str]]) -> None:
    if location.site_id != site.pk or location.kind not in STOCK_KINDS:
        errors.setdefault("location", []).append(_("The location is not a store location of this site."))


def org_of(location: Location) -> int | None:
    return location.site.organisation_id if location.site_id and location.site else None


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


# --- receive ----------------------------------------------------------------------------------
def validate_receipt(warehouse: Site, lines: Sequence[ReceiptLineInput], qc_status: str) -> None:
    """Field errors of a receipt (nothing is read from the database)."""
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
            check_site_location(line.location, warehouse, e)
        if len((line.batch or "").strip()) > 64:
            e["batch"] = [_("At most 64 characters.")]
        if e:
            errors[i] = e
    if errors:
        raise line_errors(errors)


def receive(
    warehouse: Site,
    lines: Sequence[ReceiptLineInput],
    *,
    actor: Any,
    reference: str = "",
    qc_status: str = QcStatus.RELEASED,
    supplier_ref: str = "",
    supplier_name: str = "",
) -> Receipt:
    """Receive lots from a supplier into the warehouse (its default location unless a bin is named).

    New batches become lots with ``qc_status``; a known batch must keep its expiry. Set-based: one
    statement per kind of row and per 1,000 rows (lots, balances, moves, receipt lines), whatever
    the number of lines.
    """
    require_transaction()
    validate_receipt(warehouse, lines, qc_status)
    on = today()
    store = default_location(warehouse)
    supplier = virtual_location(LocationKind.SUPPLIER)
    batches = [(line.item.pk, (line.batch or "").strip() or f"R{on:%Y%m%d}") for line in lines]
    at = timezone.now()
    db_at = _db_value(at)
    new_lots: dict[tuple[int, str], tuple[Any, ...]] = {}
    for line, (item_id, batch) in zip(lines, batches, strict=True):
        if (item_id, batch) not in new_lots:
            new_lots[(item_id, batch)] = (
                item_id,
                batch,
                _db_value(line.production_date),
                _db_value(line.expiry),
                _db_value(Decimal(line.unit_cost)),
            )
    # A batch already known for the item keeps its lot (its expiry is checked below).
    insert_rows(
        Lot._meta.db_table,
        ("item_id", "batch", "production_date", "expiry", "unit_cost"),
        ("bigint", "text", "date", "date", "numeric"),
        [new_lots[k] for k in sorted(new_lots)],
        constants=(
            ("supplier_name", "text", supplier_name[:128]),
            ("supplier_ref", "text", supplier_ref[:64]),
            ("qc_status", "text", qc_status),
            ("qc_reason", "text", ""),
            ("is_suspected_counterfeit", "boolean", False),
            ("created_at", "timestamptz", db_at),
        ),
        suffix='ON CONFLICT ("item_id", "batch") DO NOTHING',
    )
    # (id, expiry, batch) of every lot of the receipt, new or known.
    lots: dict[tuple[int, str], tuple[int, dt.date | None, str]] = {}
    item_ids = sorted({k[0] for k in new_lots})
    for names in _chunks(sorted({k[1] for k in new_lots})):
        for pk, item_id, batch, expiry in Lot.objects.filter(item_id__in=item_ids, batch__in=names).values_list(
            "pk", "item_id", "batch", "expiry"
        ):
            if (item_id, batch) in new_lots:
                lots[(item_id, batch)] = (pk, expiry, batch)
    errors: dict[int, dict[str, list[str]]] = {}
    for i, (line, key) in enumerate(zip(lines, batches, strict=True)):
        _pk, expiry, batch = lots[key]
        if line.expiry and expiry and expiry != line.expiry:
            errors[i] = {
                "expiry": [
                    _("Batch %(batch)s is already known with expiry %(expiry)s.") % {"batch": batch, "expiry": expiry}
                ]
            }
    if errors:
        raise line_errors(errors)
    receipt = Receipt.objects.create(
        warehouse=warehouse,
        reference=reference[:128],
        supplier_ref=supplier_ref[:128],
        qc_status=qc_status,
        created_by=_user(actor),
    )
    # Balances: lock the ones that exist (pk order) and add to them; insert the others with their quantity.
    rows = [
        (lots[key][0], (line.location or store).pk, line.item.pk, line.qty, Decimal(line.unit_cost))
        for line, key in zip(lines, batches, strict=True)
    ]
    per_key: dict[Key, int] = defaultdict(int)
    item_of: dict[int, int] = {}
    for lot_id, location_id, item_id, qty, _cost in rows:
        per_key[(lot_id, location_id)] += qty
        item_of[lot_id] = item_id
    existing = _lock_existing(per_key)
    increments = sorted((existing[key], qty) for key, qty in per_key.items() if key in existing)
    if increments:
        _add_on_hand(increments)
    _insert_on_hand(
        [(item_of[key[0]], key[0], key[1], qty) for key, qty in sorted(per_key.items()) if key not in existing]
    )
    who = _actor_fields(actor)
    actor_id = who["actor"].pk if who["actor"] is not None else None
    move_reference = (reference or receipt.number)[:128]
    insert_rows(
        StockMove._meta.db_table,
        ("item_id", "lot_id", "to_location_id", "qty", "unit_cost"),
        ("bigint", "bigint", "bigint", "integer", "numeric"),
        [(item_id, lot_id, location_id, qty, _db_value(cost)) for lot_id, location_id, item_id, qty, cost in rows],
        constants=(
            ("at", "timestamptz", db_at),
            ("from_location_id", "bigint", supplier.pk),
            ("reason", "text", MoveReason.RECEIPT.value),
            ("note", "text", ""),
            ("document_type", "text", "receipt"),
            ("document_id", "bigint", receipt.pk),
            ("reference", "text", move_reference),
            ("actor_id", "bigint", actor_id),
            ("actor_label", "text", who["actor_label"]),
        ),
    )
    insert_rows(
        ReceiptLine._meta.db_table,
        ("item_id", "lot_id", "location_id", "qty", "unit_cost"),
        ("bigint", "bigint", "bigint", "integer", "numeric"),
        [(item_id, lot_id, location_id, qty, _db_value(cost)) for lot_id, location_id, item_id, qty, cost in rows],
        constants=(("receipt_id", "bigint", receipt.pk),),
    )
    audit.record(
        "receive_stock",
        receipt,
        actor=actor,
        after={
            "warehouse": warehouse.code,
            "reference": reference,
            "qc_status": qc_status,
            "lines": len(rows),
            "qty": sum(r[3] for r in rows),
            "value": round_fen(sum((r[4] * r[3] for r in rows), Decimal(0))),
        },
    )
    return receipt


def _lock_existing(per_key: dict[Key, int]) -> dict[Key, int]:
    """Lock the existing balances of the keys in pk order: ``{key: balance id}``."""
    lot_ids = sorted({k[0] for k in per_key})
    location_ids = sorted({k[1] for k in per_key})
    found: dict[Key, int] = {}
    for ids in _chunks(lot_ids):
        qs = StockBalance.objects.filter(lot_id__in=ids, location_id__in=location_ids).order_by("pk")
        for pk, lot_id, location_id in qs.select_for_update(of=("self",)).values_list("pk", "lot_id", "location_id"):
            if (lot_id, location_id) in per_key:
                found[(lot_id, location_id)] = pk
    return found


# --- FEFO -------------------------------------------------------------------------------------
def fefo_key(balance: StockBalance) -> tuple[Any, ...]:
    """Earliest expiry first (no expiry last), then older lot, default location first, location code."""
    lot = balance.lot
    return (
        lot.expiry is None,
        lot.expiry or dt.date.max,
        lot.pk,
        not balance.location.is_default,
        balance.location.code,
    )


def candidates(warehouse: Site, item_ids: Iterable[int], *, lock: bool) -> list[StockBalance]:
    """Balances of released, unexpired lots with free units in the warehouse's store locations, in
    FEFO order (``lock=True`` locks them, in pk order, for the caller's transaction)."""
    on = today()
    qs = StockBalance.objects.filter(
        location__site=warehouse,
        location__kind__in=list(STOCK_KINDS),
        item_id__in=sorted(set(item_ids)),
        lot__qc_status=QcStatus.RELEASED,
        on_hand__gt=F("reserved"),
    ).filter(Q(lot__expiry__isnull=True) | Q(lot__expiry__gte=on))
    if lock:
        require_transaction()
        rows = list(qs.select_for_update(of=("self",)).select_related("lot", "location").order_by("pk"))
    else:
        rows = list(qs.select_related("lot", "location"))
    return sorted(rows, key=fefo_key)


def plan_fefo(
    candidates: list[StockBalance], needs: Sequence[IssueLineInput]
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


# --- issue ------------------------------------------------------------------------------------
def validate_issue(warehouse: Site, recipient: Site, lines: Sequence[IssueLineInput]) -> None:
    if not lines:
        raise StockInvalid(details={"lines": [_("Add at least one line.")]})
    errors: dict[int, dict[str, list[str]]] = {}
    for i, line in enumerate(lines):
        if not isinstance(line.qty, int) or line.qty <= 0:
            errors[i] = {"qty": [_("Quantities must be whole numbers above zero.")]}
        elif line.lot is not None and line.lot.item_id != line.item.pk:
            errors[i] = {"lot": [_("The lot is not of this item.")]}
    if errors:
        raise line_errors(errors)
    if recipient.pk == warehouse.pk:
        raise StockInvalid(details={"recipient": [_("The recipient must be another site.")]})
    for line in lines:
        if line.lot is not None and not is_usable(line.lot, today()):
            raise LotNotReleased(details={"lot": line.lot.batch, "qc_status": line.lot.qc_status})


def issue(
    warehouse: Site, recipient: Site, lines: Sequence[IssueLineInput], *, actor: Any, reference: str = ""
) -> Issue:
    """Issue stock to a recipient site, lots picked earliest-expiry-first among released, unexpired lots.

    Raises :class:`InsufficientStock` (writing nothing) when any line cannot be filled in full.
    """
    require_transaction()
    validate_issue(warehouse, recipient, lines)
    destination = recipient_location(recipient)
    item_ids = [line.item.pk for line in lines]
    on = today()
    # Plan without locks, make the missing destination rows, then lock sources and destinations
    # together (pk order) and re-plan on the locked numbers. Only new lots appearing in between
    # (a destination row not made yet) need another round.
    unlocked = candidates(warehouse, item_ids, lock=False)
    picks, short = plan_fefo(unlocked, lines)
    if short:
        raise shortage(short)
    # The document is written before the balances are locked (less time holding the lock); a
    # shortage found under the lock deletes it again, so nothing is left behind.
    document = Issue.objects.create(
        warehouse=warehouse,
        recipient=recipient,
        reference=reference[:128],
        created_by=_user(actor),
    )
    planned_dest: set[Key] = set()
    for _attempt in range(5):
        wanted_dest = {(b.lot_id, destination.pk) for _i, b, _q in picks}
        if wanted_dest - planned_dest:
            planned_dest |= wanted_dest
            locks.ensure_balances((b.lot, destination) for _i, b, _q in picks)
        candidate_keys = {(b.lot_id, b.location_id) for b in unlocked}
        locked = locks.balances_for_update(candidate_keys | planned_dest)
        fresh = sorted(
            (
                b
                for k, b in locked.items()
                if k[1] != destination.pk and b.on_hand > b.reserved and is_usable(b.lot, on)
            ),
            key=fefo_key,
        )
        picks, short = plan_fefo(fresh, lines)
        if short:
            # Lots that were not candidates before the lock may fill the gap: look again.
            more = candidates(warehouse, item_ids, lock=False)
            if {(b.lot_id, b.location_id) for b in more} <= candidate_keys:
                break
            unlocked = more
            picks, short = plan_fefo(unlocked, lines)
            if short:
                break
            continue
        if {(b.lot_id, destination.pk) for _i, b, _q in picks} <= planned_dest:
            break
        unlocked = fresh
    else:  # pragma: no cover - only under extreme churn of new lots
        raise InvalidState(_("Stock kept changing; try again."))
    if short:
        document.delete()
        raise shortage(short)
    legs = [
        _Leg(lot=b.lot, from_location=b.location, to_location=destination, qty=q, unit_cost=b.lot.unit_cost)
        for _i, b, q in picks
    ]
    apply_legs(
        legs,
        locked,
        actor=actor,
        reason=MoveReason.ISSUE,
        reference=reference or document.number,
        document_type="issue",
        document_id=document.pk,
    )
    IssueLine.objects.bulk_create(
        [
            IssueLine(
                issue=document,
                item_id=leg.lot.item_id,
                lot=leg.lot,
                location=leg.from_location,
                qty=leg.qty,
                unit_cost=leg.unit_cost,
            )
            for leg in legs
        ]
    )
    codes = {line.item.pk: line.item.code for line in lines}
    audit.record(
        "issue_stock",
        document,
        actor=actor,
        after={
            "warehouse": warehouse.code,
            "recipient": recipient.code,
            "reference": reference,
            "lines": [{"item": codes[leg.lot.item_id], "lot": leg.lot.batch, "qty": leg.qty} for leg in legs],
        },
        organisation_id=warehouse.organisation_id,
        site_id=warehouse.pk,
    )
    return document


# --- generic moves ----------------------------------------------------------------------------
def validate_moves(lines: Sequence[MoveInput], reason: str) -> None:
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
        raise line_errors(errors)


def move(
    lines: Sequence[MoveInput],
    *,
    actor: Any,
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
        organisation_id=org_of(first.from_location) or org_of(first.to_location),
        site_id=first.from_location.site_id or first.to_location.site_id,
        object_repr=f"{MoveReason(reason).label if reason in MoveReason.values else reason} {reference}".strip(),
    )
    return moves


def consume_reservation(
    reservation: Reservation,
    to_location: Location,
    *,
    actor: Any,
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


# --- reservations -----------------------------------------------------------------------------
def _reserve_picks(picks: list[tuple[int, StockBalance, int]]) -> None:
    per_balance: dict[int, int] = defaultdict(int)
    for _i, balance, n in picks:
        per_balance[balance.pk] += n
    for balance_pk in sorted(per_balance):
        n = per_balance[balance_pk]
        done = StockBalance.objects.filter(pk=balance_pk, on_hand__gte=F("reserved") + n).update(
            reserved=F("reserved") + n
        )
        if not done:  # pragma: no cover - the rows are locked, so this cannot happen
            raise shortage([{"balance": balance_pk, "requested": n, "available": 0}])


def reserve_many(warehouse: Site, needs: Sequence[NeedLike], *, actor: Any) -> dict[Any, list[Reservation]]:
    """Reserve every need at one warehouse, earliest expiry first across lots and bins; all or nothing.

    Returns ``{need.key: [reservations]}``; raises :class:`InsufficientStock` (nothing written)
    when any need cannot be met. One audit event ``reserve_stock`` lists every reservation.
    """
    require_transaction()
    if not needs:
        return {}
    errors: dict[int, dict[str, list[str]]] = {}
    for i, need in enumerate(needs):
        if not isinstance(need.qty, int) or need.qty <= 0:
            errors[i] = {"qty": [_("Quantities must be whole numbers above zero.")]}
        elif not need.reference.strip():
            errors[i] = {"reference": [_("Name the document the stock is reserved for.")]}
    if errors:
        raise line_errors(errors)
    found = candidates(warehouse, {n.item.pk for n in needs}, lock=True)
    picks, short = plan_fefo(found, [IssueLineInput(item=n.item, qty=n.qty) for n in needs])
    if short:
        raise shortage(short)
    _reserve_picks(picks)
    user = _user(actor)
    made: list[tuple[int, Reservation]] = [
        (
            i,
            Reservation(
                balance=balance,
                item_id=balance.item_id,
                lot=balance.lot,
                location=balance.location,
                qty=n,
                original_qty=n,
                reference=needs[i].reference[:128],
                created_by=user,
            ),
        )
        for i, balance, n in picks
    ]
    Reservation.objects.bulk_create([r for _i, r in made])
    result: dict[Any, list[Reservation]] = defaultdict(list)
    for i, reservation in made:
        result[needs[i].key].append(reservation)
    audit.record(
        "reserve_stock",
        made[0][1],
        actor=actor,
        after={
            "warehouse": warehouse.code,
            "lines": [
                {
                    "reference": needs[i].reference,
                    "item": needs[i].item.code,
                    "lot": r.lot.batch,
                    "location": r.location.code,
                    "qty": r.qty,
                }
                for i, r in made
            ],
        },
        organisation_id=warehouse.organisation_id,
        site_id=warehouse.pk,
        object_repr=_("%(warehouse)s: %(count)d reservations") % {"warehouse": warehouse.code, "count": len(made)},
    )
    return dict(result)


def reserve(warehouse: Site, item: Item, qty: int, *, actor: Any, reference: str) -> list[Reservation]:
    """Reserve ``qty`` of ``item`` at the warehouse, earliest expiry first, across lots and bins."""
    require_transaction()
    if not isinstance(qty, int) or qty <= 0:
        raise StockInvalid(details={"qty": [_("Quantities must be whole numbers above zero.")]})
    if not reference.strip():
        raise StockInvalid(details={"reference": [_("Name the document the stock is reserved for.")]})
    found = candidates(warehouse, [item.pk], lock=True)
    picks, short = plan_fefo(found, [IssueLineInput(item=item, qty=qty)])
    if short:
        raise shortage(short)
    _reserve_picks(picks)
    user = _user(actor)
    made = [
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
        for _i, balance, n in picks
    ]
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


def release(reservation: Reservation, *, actor: Any, qty: int | None = None) -> Reservation:
    """Give back all (or ``qty``) of the reservation's open units."""
    require_transaction()
    locks.lock_balance_ids([reservation.balance_id])
    locked = Reservation.objects.select_for_update().select_related("lot", "location").get(pk=reservation.pk)
    if locked.status != ReservationStatus.ACTIVE:
        raise InvalidState(_("The reservation is not active."))
    n = locked.qty if qty is None else qty
    if not isinstance(n, int) or n <= 0 or n > locked.qty:
        raise StockInvalid(details={"qty": [_("Release between 1 and %(n)d units.") % {"n": locked.qty}]})
    done = StockBalance.objects.filter(pk=locked.balance_id, reserved__gte=n).update(reserved=F("reserved") - n)
    if not done:  # pragma: no cover - the balance is locked and holds this reservation
        raise InvalidState(_("Stock kept changing; try again."))
    before = {"qty": locked.qty, "status": locked.status}
    locked.qty -= n
    if locked.qty == 0:
        locked.status = ReservationStatus.RELEASED
    locked.save(update_fields=["qty", "status"])
    audit.record(
        "release_reservation", locked, actor=actor, before=before, after={"qty": locked.qty, "status": locked.status}
    )
    return locked


def release_many(reservations: Sequence[Reservation], *, actor: Any) -> int:
    """Give back every open unit of the reservations; answers the units released.

    Locks in the one order (balances, then reservations, each by primary key) before reading a
    number, so it never waits in a cycle with an allocation, a pick or another release. Reservations
    no longer active once locked are skipped (someone else released or consumed them meanwhile).
    """
    require_transaction()
    ids = sorted({r.pk for r in reservations})
    if not ids:
        return 0
    balance_ids = Reservation.objects.filter(pk__in=ids).values_list("balance_id", flat=True)
    locks.lock_balance_ids(list(balance_ids))
    rows = locks.active_reservations_for_update(ids)
    released = 0
    for row in rows:
        n = row.qty
        done = StockBalance.objects.filter(pk=row.balance_id, reserved__gte=n).update(reserved=F("reserved") - n)
        if not done:  # pragma: no cover - the balance is locked and holds this reservation
            raise InvalidState(_("Stock kept changing; try again."))
        before = {"qty": n, "status": row.status}
        row.qty = 0
        row.status = ReservationStatus.RELEASED
        row.save(update_fields=["qty", "status"])
        audit.record("release_reservation", row, actor=actor, before=before, after={"qty": 0, "status": row.status})
        released += n
    return released
