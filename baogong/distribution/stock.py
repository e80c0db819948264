"""The distribution app's use of the inventory ledger inside its own transactions.

Inventory's public actions (``reserve_stock``, ``release_reservation``, ``move_stock``) each open a
durable transaction, so they cannot run inside ``confirm_allocation`` or ``record_delivery``, which
must be one transaction. This module calls the non-durable primitives of
``baogong.inventory.ledger`` (the same FEFO planning, ordered balance locks, conditional ``UPDATE``
and audit events as the public actions).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from baogong.core.audit import Actor
from baogong.inventory import ledger
from baogong.inventory.ledger import MoveInput
from baogong.inventory.models import Reservation, StockMove
from baogong.orgs.models import Site

# One document's moves of :func:`move_many` (a shipment's lines, its number, its id).
MoveGroup = ledger.MoveGroup

# One need of :func:`reserve_many` (``key`` is the caller's handle, e.g. an allocation line).
ReserveNeed = ledger.ReserveNeed


def reserve_many(warehouse: Site, needs: Sequence[ReserveNeed], *, actor: Actor) -> dict[Any, list[Reservation]]:
    """Reserve every need at one warehouse, earliest expiry first; all or nothing.

    Runs inside the caller's transaction (``ledger.reserve_many``): one audit event lists every
    reservation; raises inventory's ``InsufficientStock`` when short, before anything is written.
    """
    return ledger.reserve_many(warehouse, needs, actor=actor)


def release(reservation: Reservation, *, actor: Actor, qty: int | None = None) -> Reservation:
    """Release all (or ``qty``) of an active reservation inside the caller's transaction."""
    return ledger.release(reservation, actor=actor, qty=qty)


def release_many(reservations: Sequence[Reservation], *, actor: Actor) -> int:
    """Release every open unit of the reservations inside the caller's transaction (balances, then
    reservations, locked in pk order); answers the units released."""
    return ledger.release_many(reservations, actor=actor)


def move(
    lines: list[MoveInput], *, actor: Actor, reason: str, reference: str, document_id: int | None
) -> list[StockMove]:
    """Move lots between locations inside the caller's transaction (see inventory ``move_stock``)."""
    return ledger.move(
        lines, actor=actor, reason=reason, reference=reference, document_type="shipment", document_id=document_id
    )


def move_many(groups: list[MoveGroup], *, actor: Actor, reason: str) -> list[list[StockMove]]:
    """Move the lots of many shipments at once inside the caller's transaction (``ledger.move_many``:
    one audit event per shipment, in one insert)."""
    return ledger.move_many(groups, actor=actor, reason=reason, document_type="shipment")
