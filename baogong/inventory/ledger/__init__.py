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

from baogong.core.transactions import OutsideTransaction
from baogong.inventory.errors import InsufficientStock as InsufficientStock
from baogong.inventory.errors import InvalidState as InvalidState
from baogong.inventory.errors import LotNotReleased as LotNotReleased
from baogong.inventory.errors import StockInvalid as StockInvalid
from baogong.inventory.ledger.common import BULK as BULK
from baogong.inventory.ledger.common import UNUSABLE_DESTINATIONS as UNUSABLE_DESTINATIONS
from baogong.inventory.ledger.common import (
    IssueLineInput,
    MoveInput,
    ReceiptLineInput,
    ReserveNeed,
    require_transaction,
    shortage,
)
from baogong.inventory.ledger.common import Key as Key
from baogong.inventory.ledger.common import NeedLike as NeedLike
from baogong.inventory.ledger.common import apply_legs as apply_legs
from baogong.inventory.ledger.common import check_site_location as check_site_location
from baogong.inventory.ledger.common import is_usable as is_usable
from baogong.inventory.ledger.common import line_errors as line_errors
from baogong.inventory.ledger.common import lock_legs as lock_legs
from baogong.inventory.ledger.common import org_of as org_of
from baogong.inventory.ledger.common import today as today
from baogong.inventory.ledger.fefo import candidates, fefo_key, plan_fefo
from baogong.inventory.ledger.issues import issue
from baogong.inventory.ledger.issues import validate_issue as validate_issue
from baogong.inventory.ledger.moves import consume_reservation, move
from baogong.inventory.ledger.moves import validate_moves as validate_moves
from baogong.inventory.ledger.receipts import receive
from baogong.inventory.ledger.receipts import validate_receipt as validate_receipt
from baogong.inventory.ledger.reservations import release, reserve, reserve_many
from baogong.inventory.ledger.reservations import release_many as release_many
from baogong.inventory.ledger.sql import insert_rows as insert_rows
from baogong.inventory.locks import IN_CHUNK as IN_CHUNK

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
