"""What every step after placing shares: the order locked in an allowed status, its stock moved
through inventory's ledger (inside the caller's transaction), its payment refunded."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.scoping import require_scope
from baogong.inventory import ledger
from baogong.inventory.choices import MoveReason, ReservationStatus
from baogong.inventory.ledger import MoveInput
from baogong.inventory.locations import in_transit_location
from baogong.inventory.models import Reservation, StockMove
from baogong.pharmacy import locks
from baogong.pharmacy.choices import (
    SettlementStatus,
)
from baogong.pharmacy.errors import (
    OrderStateInvalid,
)
from baogong.pharmacy.models import Order

DOCUMENT_TYPE = "pharmacy_order"


def _lock_order(order: Order, *allowed: str, actor: Actor, courier_may: bool = False) -> Order:
    """The order, locked, when ``actor`` may act on it and it is in one of the ``allowed`` statuses.

    Outside the actor's scope (its pharmacy) the order is not there (``NotFound``); with
    ``courier_may`` the courier it was handed to may act on it too.
    """
    locked = locks.order_for_update(order.pk)
    is_its_courier = courier_may and locked.courier_id is not None and locked.courier_id == getattr(actor, "pk", None)
    if not is_its_courier:
        require_scope(actor, organisation_id=locked.pharmacy.organisation_id, site_id=locked.pharmacy_id)
    if locked.status not in allowed:
        raise OrderStateInvalid(details={"status": [locked.get_status_display()]})
    return locked


def _active_reservations(order: Order) -> list[Reservation]:
    return list(
        Reservation.objects.filter(reference=order.number, status=ReservationStatus.ACTIVE)
        .select_related("lot", "location", "item")
        .order_by("pk")
    )


def _pick(order: Order, *, actor: Actor) -> list[StockMove]:
    """Move the order's reserved lots (FEFO when reserved) to the pharmacy's out-for-delivery location,
    inside the caller's transaction (balances, then the reservations, locked by the ledger)."""
    reservations = _active_reservations(order)
    to = in_transit_location(order.pharmacy)
    lines = [
        MoveInput(item=r.item, lot=r.lot, from_location=r.location, to_location=to, qty=r.qty, reservation=r)
        for r in reservations
    ]
    return ledger.move(
        lines,
        actor=actor,
        reason=MoveReason.DISPENSE,
        reference=order.number,
        document_type=DOCUMENT_TYPE,
        document_id=order.pk,
    )


def _moved_out(order: Order) -> list[StockMove]:
    return list(
        StockMove.objects.filter(document_type=DOCUMENT_TYPE, document_id=order.pk, reason=MoveReason.DISPENSE)
        .select_related("lot", "item", "from_location", "to_location")
        .order_by("pk")
    )


def _move_on(order: Order, to_location: Any, reason: str, *, actor: Actor) -> list[StockMove]:
    """Move what was picked for the order out of the courier location (delivered or back to stock),
    inside the caller's transaction."""
    picked = _moved_out(order)
    return ledger.move(
        [
            MoveInput(item=m.item, lot=m.lot, from_location=m.to_location, to_location=to_location, qty=m.qty)
            for m in picked
        ],
        actor=actor,
        reason=reason,
        reference=order.number,
        document_type=DOCUMENT_TYPE,
        document_id=order.pk,
    )


def _refund(order: Order, reason: str, *, actor: Actor) -> None:
    settlement = locks.settlement_for_update(order)
    if settlement is None or settlement.status == SettlementStatus.REFUNDED:
        return
    audit.change_status(
        "refund_settlement",
        settlement,
        SettlementStatus.REFUNDED,
        actor=actor,
        stamps={"refunded_at": timezone.now(), "refund_reason": reason[:255]},
        after={"reason": reason[:255], "total": settlement.total},
    )
