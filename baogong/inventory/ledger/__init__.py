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
(:class:`OutsideTransaction`); ``issue_in_autocommit``, the body of ``actions.issue_stock`` on
PostgreSQL, is the exception: one statement in autocommit, its own transaction.

=====================  ==================================  ===================
primitive              durable public action               audit verb
=====================  ==================================  ===================
``receive``            ``actions.receive_stock``           ``receive_stock``
``issue`` (FEFO)       ``actions.issue_stock``             ``issue_stock``
``move``               ``actions.move_stock``              ``move_stock``
``move_many``          (many documents at once)            ``move_stock`` each
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

from baogong.core.transactions import OutsideTransaction
from baogong.inventory.errors import InsufficientStock, InvalidState, LotNotReleased, StockInvalid
from baogong.inventory.ledger.common import (
    BULK,
    UNUSABLE_DESTINATIONS,
    IssueLineInput,
    Key,
    MoveInput,
    NeedLike,
    ReceiptLineInput,
    ReserveNeed,
    apply_legs,
    check_site_location,
    is_usable,
    line_errors,
    lock_legs,
    org_of,
    require_transaction,
    shortage,
    today,
)
from baogong.inventory.ledger.fefo import candidates, fefo_key, plan_fefo
from baogong.inventory.ledger.issues import issue, issue_in_autocommit, validate_issue
from baogong.inventory.ledger.moves import MoveGroup, consume_reservation, move, move_many, validate_moves
from baogong.inventory.ledger.receipts import receive, validate_receipt
from baogong.inventory.ledger.reservations import release, release_many, reserve, reserve_many
from baogong.inventory.ledger.sql import insert_rows
from baogong.inventory.locks import IN_CHUNK

__all__ = [
    "BULK",
    "IN_CHUNK",
    "InsufficientStock",
    "InvalidState",
    "IssueLineInput",
    "Key",
    "LotNotReleased",
    "MoveInput",
    "NeedLike",
    "OutsideTransaction",
    "ReceiptLineInput",
    "ReserveNeed",
    "StockInvalid",
    "UNUSABLE_DESTINATIONS",
    "apply_legs",
    "candidates",
    "check_site_location",
    "consume_reservation",
    "fefo_key",
    "insert_rows",
    "is_usable",
    "issue",
    "issue_in_autocommit",
    "line_errors",
    "lock_legs",
    "MoveGroup",
    "move",
    "move_many",
    "org_of",
    "plan_fefo",
    "receive",
    "release",
    "release_many",
    "require_transaction",
    "reserve",
    "reserve_many",
    "shortage",
    "today",
    "validate_issue",
    "validate_moves",
    "validate_receipt",
]
