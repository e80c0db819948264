"""Earliest expiry first: the usable balances of a warehouse and the picks among them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import F, Q

from baogong.inventory import locks
from baogong.inventory.choices import STOCK_KINDS, QcStatus
from baogong.inventory.ledger.common import IssueLineInput, require_transaction, today
from baogong.inventory.models import StockBalance
from baogong.orgs.models import Site


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
        rows = locks.lock_balances(qs.select_related("lot", "location"))
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
