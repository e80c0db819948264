"""Every change of stock. Each public action is one transaction: validate → lock (pk order) →
write balances with conditional F() updates → append moves → audit.

Other apps (distribution, procurement, pharmacy, fleet) move stock only through these functions,
or — when they must do several things in ONE transaction of their own — through the non-durable
primitives of :mod:`baogong.inventory.ledger`, of which the stock actions here are thin durable
wrappers (receive, issue, move, reserve, release).
"""

from __future__ import annotations

from baogong.inventory.actions.adjustments import adjust_stock, approval_threshold, decide_adjustment, reverse_move
from baogong.inventory.actions.alerts import send_expiry_alerts
from baogong.inventory.actions.common import today
from baogong.inventory.actions.qc import quarantine_lot_everywhere, set_lot_qc_status, set_qc_rule
from baogong.inventory.actions.stock import (
    create_location,
    issue_stock,
    move_stock,
    receive_stock,
    release_reservation,
    reserve_stock,
)
from baogong.inventory.actions.stocktakes import (
    approve_stocktake,
    cancel_stocktake,
    count_found_stock,
    record_counts,
    start_stocktake,
    submit_stocktake,
)
from baogong.inventory.actions.trace import receive_trace_codes, record_trace_signals
from baogong.inventory.actions.transfers import TransferLineInput, put_away, receive_transfer, transfer_stock
from baogong.inventory.ledger import (
    BULK,
    UNUSABLE_DESTINATIONS,
    IssueLineInput,
    Key,
    MoveInput,
    ReceiptLineInput,
    ReserveNeed,
)

__all__ = [
    "BULK",
    "IssueLineInput",
    "Key",
    "MoveInput",
    "ReceiptLineInput",
    "ReserveNeed",
    "TransferLineInput",
    "UNUSABLE_DESTINATIONS",
    "adjust_stock",
    "approval_threshold",
    "approve_stocktake",
    "cancel_stocktake",
    "count_found_stock",
    "create_location",
    "decide_adjustment",
    "issue_stock",
    "move_stock",
    "put_away",
    "quarantine_lot_everywhere",
    "receive_stock",
    "receive_trace_codes",
    "receive_transfer",
    "record_trace_signals",
    "record_counts",
    "release_reservation",
    "reserve_stock",
    "reverse_move",
    "send_expiry_alerts",
    "set_lot_qc_status",
    "set_qc_rule",
    "start_stocktake",
    "submit_stocktake",
    "today",
    "transfer_stock",
]
