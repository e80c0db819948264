"""Lot flags other apps set inside their own transaction (like :mod:`baogong.inventory.ledger`).

Procurement's counterfeit response marks a lot as suspected in the same transaction that opens the
case; it calls :func:`mark_suspected_counterfeit` instead of writing ``Lot`` itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.inventory import locks
from baogong.inventory.ledger import require_transaction
from baogong.inventory.models import Lot

__all__ = ["mark_suspected_counterfeit"]


def mark_suspected_counterfeit(lots: Sequence[Lot], *, reason: str, actor: Actor) -> list[Lot]:
    """Flag the lots as suspected counterfeits, inside the caller's transaction.

    Locks the lots in pk order, flags those not flagged yet and records one audit event
    ``mark_lot_suspected_counterfeit`` per lot it changed; answers the lots it changed (none when
    all were flagged already, so calling it again changes nothing).
    """
    require_transaction()
    changed = []
    for lot in locks.lots_for_update(lot.pk for lot in lots):
        if lot.is_suspected_counterfeit:
            continue
        lot.is_suspected_counterfeit = True
        lot.save(update_fields=["is_suspected_counterfeit"])
        audit.record(
            "mark_lot_suspected_counterfeit",
            lot,
            actor=actor,
            before={"is_suspected_counterfeit": False},
            after={"is_suspected_counterfeit": True, "reason": reason},
        )
        changed.append(lot)
    return changed
