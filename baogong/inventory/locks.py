"""Every row lock of the inventory app, each set in primary-key order.

The order across a transaction is the one of ``docs/decisions/0003-lock-order.md``: the document
acted on (adjustment, transfer, stocktake) first, then stock balances (missing zero rows inserted
before, in key order, by :func:`ensure_balances`), then reservations, then lots. Actions and ledger
primitives never call ``select_for_update`` themselves: they call these functions.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from baogong.inventory.choices import ReservationStatus
from baogong.inventory.models import (
    Adjustment,
    Location,
    Lot,
    QcRule,
    Reservation,
    StockBalance,
    Stocktake,
    TraceCode,
    Transfer,
)

Key = tuple[int, int]  # (lot_id, location_id)
IN_CHUNK = 900  # ids per ``IN (...)`` list (SQLite's old 999-parameter limit)


def ensure_balances(keys: Iterable[tuple[Lot, Location]]) -> None:
    """Create the missing zero balances for ``(lot, location)`` pairs, in key order (no lock waits cycle)."""
    wanted = sorted({(lot.pk, location.pk): (lot, location) for lot, location in keys}.items())
    if not wanted:
        return
    StockBalance.objects.bulk_create(
        [StockBalance(item_id=lot.item_id, lot=lot, location=location) for _key, (lot, location) in wanted],
        ignore_conflicts=True,
    )


def balances_for_update(keys: Iterable[Key], *, related: bool = True) -> dict[Key, StockBalance]:
    """Lock the balances of ``(lot_id, location_id)`` keys, ordered by pk; returns them by key.

    ``related=False`` skips loading lots and locations (large receipts only need the row ids).
    """
    wanted = set(keys)
    if not wanted:
        return {}
    lot_ids = sorted({k[0] for k in wanted})
    location_ids = sorted({k[1] for k in wanted})
    # One statement over the (small) cross product keeps the lock order strictly by pk.
    rows = (
        StockBalance.objects.select_for_update(of=("self",))
        .filter(lot_id__in=lot_ids, location_id__in=location_ids)
        .order_by("pk")
    )
    if related:
        rows = rows.select_related("lot", "lot__item", "location")
    else:
        rows = rows.only("id", "lot_id", "location_id", "on_hand", "reserved")
    return {(b.lot_id, b.location_id): b for b in rows if (b.lot_id, b.location_id) in wanted}


def existing_balance_ids_for_update(keys: Iterable[Key]) -> dict[Key, int]:
    """Lock the balances that exist for ``(lot_id, location_id)`` keys, in pk order: ``{key: balance id}``.

    Large receipts: only the ids are read, ``IN_CHUNK`` lots per statement. The receipt inserts the
    missing rows (zero, ``ON CONFLICT DO NOTHING``) before this lock, as the lock order asks.
    """
    wanted = set(keys)
    lot_ids = sorted({k[0] for k in wanted})
    location_ids = sorted({k[1] for k in wanted})
    found: dict[Key, int] = {}
    for start in range(0, len(lot_ids), IN_CHUNK):
        ids = lot_ids[start : start + IN_CHUNK]
        qs = StockBalance.objects.filter(lot_id__in=ids, location_id__in=location_ids).order_by("pk")
        for pk, lot_id, location_id in qs.select_for_update(of=("self",)).values_list("pk", "lot_id", "location_id"):
            if (lot_id, location_id) in wanted:
                found[(lot_id, location_id)] = pk
    return found


def lock_balances(queryset: QuerySet[StockBalance]) -> list[StockBalance]:
    """Lock every balance of ``queryset`` in pk order."""
    return list(queryset.select_for_update(of=("self",)).order_by("pk"))


def lock_balance_ids(ids: Iterable[int]) -> dict[int, StockBalance]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {b.pk: b for b in StockBalance.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}


def active_reservations_for_update(ids: Iterable[int], *, related: bool = True) -> list[Reservation]:
    """Lock the reservations of ``ids`` that are still active, in pk order (after their balances:
    the order is balances, then reservations). ``related=False`` loads no lot or location."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    if not related:
        return list(
            Reservation.objects.select_for_update()
            .filter(pk__in=wanted, status=ReservationStatus.ACTIVE)
            .order_by("pk")
        )
    return list(
        Reservation.objects.select_for_update(of=("self",))
        .select_related("lot", "location")
        .filter(pk__in=wanted, status=ReservationStatus.ACTIVE)
        .order_by("pk")
    )


def reservation_for_update(pk: int) -> Reservation:
    """Lock one reservation, whatever its status, with its lot and location (after its balance)."""
    return Reservation.objects.select_for_update().select_related("lot", "location").get(pk=pk)


def lots_for_update(ids: Iterable[int]) -> list[Lot]:
    """Lock the lots of ``ids`` in pk order (a lot is locked after the balances of a transaction that
    takes both, as ``set_lot_qc_status`` does)."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(Lot.objects.select_for_update(of=("self",)).select_related("item").filter(pk__in=wanted).order_by("pk"))


def lot_for_update(pk: int) -> Lot:
    """Lock one lot with its item (after the lot's balances, as :func:`lots_for_update`)."""
    return Lot.objects.select_for_update().select_related("item").get(pk=pk)


def adjustment_for_update(pk: int) -> Adjustment:
    """Lock an adjustment, the document, before the balances its posting moves."""
    return Adjustment.objects.select_for_update().select_related("lot", "lot__item", "location").get(pk=pk)


def stocktake_for_update(pk: int) -> Stocktake:
    """Lock a stocktake, the document, before any balance its approval adjusts."""
    return Stocktake.objects.select_for_update().get(pk=pk)


def transfer_for_update(pk: int) -> Transfer:
    """Lock a transfer, the document, before the balances of its booking in."""
    return Transfer.objects.select_for_update().select_related("warehouse", "destination").get(pk=pk)


def qc_rule_for_update(category_id: int) -> QcRule | None:
    """Lock a category's QC rule, if it has one (the document of ``set_qc_rule``)."""
    return QcRule.objects.select_for_update().filter(category_id=category_id).first()


def trace_codes_for_update(codes: Iterable[str]) -> dict[str, TraceCode]:
    """Lock the traceability codes among ``codes`` that exist (and the packs of the aggregation codes
    among them), in pk order; returns them by code. Taken after balances and lots when a transaction
    holds those: the pharmacy's order → balances → reservations → trace codes."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    found = TraceCode.objects.filter(code__in=wanted)
    children = TraceCode.objects.filter(parent__code__in=wanted)
    ids = set(found.values_list("pk", flat=True)) | set(children.values_list("pk", flat=True))
    rows = (
        TraceCode.objects.select_for_update(of=("self",))
        .select_related("lot", "item", "site", "parent")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    return {row.code: row for row in rows}
