"""Stock screens for the warehouse floor (tablet and phone). Each view parses, checks, calls one action."""

from __future__ import annotations

from baogong.inventory.views.documents import (
    adjust,
    adjustment_decide,
    adjustment_list,
    issue,
    receive,
    transfer,
    transfer_list,
    transfer_receive,
)
from baogong.inventory.views.putaway import put_away, put_away_list
from baogong.inventory.views.stock import (
    expiry_alerts,
    item_card,
    location_list,
    lot_card,
    lot_quarantine,
    lot_set_qc,
    move_reverse,
    reservation_list,
    reservation_release,
    stock_list,
    valuation,
)
from baogong.inventory.views.stocktakes import (
    stocktake_approve,
    stocktake_detail,
    stocktake_found,
    stocktake_list,
    stocktake_sheet,
)
from baogong.inventory.views.trace import trace_lookup, trace_receive

__all__ = [
    "put_away",
    "put_away_list",
    "trace_lookup",
    "trace_receive",
    "adjust",
    "adjustment_decide",
    "adjustment_list",
    "expiry_alerts",
    "issue",
    "item_card",
    "location_list",
    "lot_card",
    "lot_quarantine",
    "lot_set_qc",
    "move_reverse",
    "receive",
    "reservation_list",
    "reservation_release",
    "stock_list",
    "stocktake_approve",
    "stocktake_detail",
    "stocktake_found",
    "stocktake_list",
    "stocktake_sheet",
    "transfer",
    "transfer_list",
    "transfer_receive",
    "valuation",
]
