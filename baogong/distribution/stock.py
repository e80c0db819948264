"""The distribution app's use of the inventory ledger inside its own transactions.

Inventory's public actions (``reserve_stock``, ``release_reservation``, ``move_stock``) each open a
durable transaction, so they cannot run inside ``confirm_allocation`` or ``record_delivery``, which
must be one transaction. This module calls the non-durable primitives of
``baogong.inventory.ledger`` (the same FEFO planning, ordered balance locks, conditional ``UPDATE``
and audit events as the public actions).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core import audit
from baogong.inventory import ledger
from baogong.inventory.ledger import IssueLineInput, MoveInput
from baogong.inventory.models import Reservation, StockBalance, StockMove
from baogong.orgs.models import Site


@dataclass(frozen=True)
class ReserveNeed:
    key: Any  # the caller's handle (an allocation line), returned with its reservations
    item: Item
    qty: int
    reference: str


def reserve_many(warehouse: Site, needs: Sequence[ReserveNeed], *, actor: Any) -> dict[Any, list[Reservation]]:
    """Reserve every need at one warehouse, earliest expiry first; all or nothing.

    Runs inside the caller's transaction. Raises inventory's ``InsufficientStock`` when short.
    """
    if not needs:
        return {}
    candidates = ledger.candidates(warehouse, {n.item.pk for n in needs}, lock=True)
    picks, short = ledger.plan_fefo(candidates, [IssueLineInput(item=n.item, qty=n.qty) for n in needs])
    if short:
        raise ledger.shortage(short)
    per_balance: dict[int, int] = defaultdict(int)
    for _i, balance, n in picks:
        per_balance[balance.pk] += n
    for balance_pk in sorted(per_balance):
        n = per_balance[balance_pk]
        done = StockBalance.objects.filter(pk=balance_pk, on_hand__gte=F("reserved") + n).update(
            reserved=F("reserved") + n
        )
        if not done:  # pragma: no cover - the rows are locked, so this cannot happen
            raise ledger.shortage([{"balance": balance_pk, "requested": n, "available": 0}])
    user = actor if getattr(actor, "is_authenticated", False) else None
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


def release(reservation: Reservation, *, actor: Any, qty: int | None = None) -> Reservation:
    """Release all (or ``qty``) of an active reservation inside the caller's transaction."""
    return ledger.release(reservation, actor=actor, qty=qty)


def move(
    lines: list[MoveInput], *, actor: Any, reason: str, reference: str, document_id: int | None
) -> list[StockMove]:
    """Move lots between locations inside the caller's transaction (see inventory ``move_stock``)."""
    return ledger.move(
        lines, actor=actor, reason=reason, reference=reference, document_type="shipment", document_id=document_id
    )
