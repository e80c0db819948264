"""Inputs and helpers every ledger primitive shares: the legs of a move and how they are applied."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core.audit import Actor, user_of
from baogong.core.transactions import OutsideTransaction
from baogong.inventory import locks
from baogong.inventory.choices import SOURCE_KINDS, STOCK_KINDS, LocationKind, QcStatus, ReservationStatus
from baogong.inventory.errors import InsufficientStock, InvalidState, LotNotReleased, StockInvalid
from baogong.inventory.ledger.sql import _add_on_hand, _consume_open
from baogong.inventory.locks import IN_CHUNK
from baogong.inventory.models import Location, Lot, Reservation, StockBalance, StockMove
from baogong.orgs.models import Site

Key = tuple[int, int]  # (lot_id, location_id)


# Where a lot that is not usable (not released, or expired) may still go.
UNUSABLE_DESTINATIONS = frozenset(
    {LocationKind.QUARANTINE, LocationKind.LOSS, LocationKind.SUPPLIER, LocationKind.ADJUSTMENT}
)


BULK = 1000


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
    # the leg's own document (``move_many``: one group per document); None: the call's
    reference: str | None = None
    document_id: int | None = None


# --- helpers ----------------------------------------------------------------------------------
def today() -> dt.date:
    return timezone.localdate()


def _actor_fields(actor: Actor) -> dict[str, Any]:
    user = user_of(actor)
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
    actor: Actor,
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
            document_id=leg.document_id if leg.document_id is not None else document_id,
            reference=(leg.reference if leg.reference is not None else reference)[:128],
            reverses=leg.reverses,
            **who,
        )
        for leg in legs
    ]
    return StockMove.objects.bulk_create(moves, batch_size=BULK)


def _consume_reservations(legs: Sequence[_Leg]) -> None:
    """Reduce the open quantity of the reservations the legs used (balances were locked first):
    ``qty = qty - n`` where still active and ``qty >= n``, consumed when it reaches 0 — one row
    alone, many in one relative ``UPDATE`` whose row count is checked (a reservation no longer open
    refuses all of them)."""
    by_reservation: dict[int, int] = defaultdict(int)
    for leg in legs:
        if leg.reservation is not None and leg.consume:
            by_reservation[leg.reservation.pk] += leg.consume
    pks = sorted(by_reservation)
    if len(pks) <= 1:
        for pk in pks:
            _consume_one(pk, by_reservation[pk])
        return
    current = dict(Reservation.objects.filter(pk__in=pks, status=ReservationStatus.ACTIVE).values_list("pk", "qty"))
    for pk in pks:
        if current.get(pk, 0) < by_reservation[pk]:
            raise InvalidState(_("The reservation is no longer open for this quantity."), details={"reservation": pk})
    done = _consume_open(
        [(pk, by_reservation[pk]) for pk in pks], ReservationStatus.ACTIVE.value, ReservationStatus.CONSUMED.value
    )
    if done != len(pks):  # pragma: no cover - the reservations are locked by the callers
        raise InvalidState(_("The reservation is no longer open for this quantity."), details={"reservation": pks[0]})


def _consume_one(pk: int, n: int) -> None:
    done = Reservation.objects.filter(pk=pk, status=ReservationStatus.ACTIVE, qty__gte=n).update(
        qty=F("qty") - n,
        status=Case(When(qty=n, then=Value(ReservationStatus.CONSUMED.value)), default=F("status")),
    )
    if not done:
        raise InvalidState(_("The reservation is no longer open for this quantity."), details={"reservation": pk})


def line_errors(errors: dict[int, dict[str, list[str]]]) -> StockInvalid:
    return StockInvalid(details={"lines": {str(i): e for i, e in errors.items()}})


class _Counted(Protocol):
    qty: Any


L = TypeVar("L", bound=_Counted)


def check_lines(lines: Sequence[L], check: Callable[[L, dict[str, list[str]]], None]) -> None:
    """Refuse a document without lines, then every line's field errors at once (``lines.<i>``):
    the quantity must be a whole number above zero, and ``check`` adds the line's other errors."""
    if not lines:
        raise StockInvalid(details={"lines": [_("Add at least one line.")]})
    errors: dict[int, dict[str, list[str]]] = {}
    for i, line in enumerate(lines):
        e: dict[str, list[str]] = {}
        if not isinstance(line.qty, int) or line.qty <= 0:
            e["qty"] = [_("Quantities must be whole numbers above zero.")]
        check(line, e)
        if e:
            errors[i] = e
    if errors:
        raise line_errors(errors)


def check_site_location(location: Location, site: Site, errors: dict[str, list[str]]) -> None:
    if location.site_id != site.pk or location.kind not in STOCK_KINDS:
        errors.setdefault("location", []).append(_("The location is not a store location of this site."))


def org_of(location: Location) -> int | None:
    return location.site.organisation_id if location.site_id and location.site else None


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]
