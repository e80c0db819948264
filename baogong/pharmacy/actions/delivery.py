"""Delivery: hand the order to a courier, the contactless hand-over, a failed delivery."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import require_text
from baogong.core.field import StaleVersion
from baogong.core.retry import retry_on_conflict
from baogong.inventory.choices import MoveReason
from baogong.inventory.locations import default_location, recipient_location
from baogong.pharmacy import locks, queries
from baogong.pharmacy.actions.handling import _lock_order, _move_on, _refund
from baogong.pharmacy.choices import (
    OrderStatus,
)
from baogong.pharmacy.errors import (
    HandoverCodeWrong,
    OrderInvalid,
)
from baogong.pharmacy.models import Order


def check_courier(courier: Any) -> None:
    """Refuse a courier who is not active or does not deliver orders (``OrderInvalid``)."""
    if courier is None or not getattr(courier, "is_active", False):
        raise OrderInvalid(details={"courier": [_("Choose an active courier.")]})
    if not queries.couriers().filter(pk=courier.pk).exists():
        raise OrderInvalid(
            details={"courier": [_("%(name)s does not deliver orders.") % {"name": courier.get_username()}]}
        )


def dispatch_locked(locked: Order, courier: Any, *, actor: Actor) -> Order:
    """Hand an order the caller has locked and checked (scope, ready) to a checked courier."""
    audit.change_status(
        "dispatch_order",
        locked,
        OrderStatus.OUT_FOR_DELIVERY,
        actor=actor,
        stamps={"courier": courier, "dispatched_at": timezone.now()},
        after={"courier": courier.get_username()},
    )
    return locked


@retry_on_conflict
def dispatch_order(order: Order, courier: Any, *, actor: Actor) -> Order:
    """Hand the picked order to a courier."""
    check_courier(courier)
    with transaction.atomic(durable=True):
        return dispatch_locked(_lock_order(order, OrderStatus.READY, actor=actor), courier, actor=actor)


def _check_handover_version(order: Order, based_on: str) -> None:
    """An offline hand-over (``based_on`` the version the courier's page showed) of an order that
    changed meanwhile raises :class:`StaleVersion` (locks the order)."""
    if not based_on:
        return
    locked = locks.order_for_update(order.pk)
    current = locked.handover_version()
    if current == based_on:
        return
    if locked.status != OrderStatus.OUT_FOR_DELIVERY:
        reason = _("The order is %(status)s now: it changed after the courier's page was opened.") % {
            "status": locked.get_status_display()
        }
    else:
        reason = _("The order was handed to another courier meanwhile.")
    raise StaleVersion(current=current, reason=reason)


@retry_on_conflict
def confirm_delivery(order: Order, code: str, *, actor: Actor, based_on: str = "") -> Order:
    """Contactless hand-over: the courier enters the code the resident gives; the drugs leave the
    courier location for the recipient (one transaction with the status). ``based_on``: the
    order's :meth:`~Order.handover_version` an offline hand-over was made on; when the order changed
    since, ``StaleVersion`` is raised and nothing is written."""
    with transaction.atomic(durable=True):
        _check_handover_version(order, based_on)
        locked = _lock_order(order, OrderStatus.OUT_FOR_DELIVERY, actor=actor, courier_may=True)
        if not secrets.compare_digest((code or "").strip(), locked.handover_code):
            raise HandoverCodeWrong(details={"code": [_("The hand-over code does not match.")]})
        audit.change_status(
            "confirm_delivery", locked, OrderStatus.DELIVERED, actor=actor, stamps={"delivered_at": timezone.now()}
        )
        _move_on(locked, recipient_location(locked.pharmacy), MoveReason.DELIVERY, actor=actor)
        return locked


@retry_on_conflict
def record_delivery_failure(order: Order, reason: str, *, actor: Actor, based_on: str = "") -> Order:
    """The courier could not hand over: the drugs go back to the pharmacy's stock, payment refunded.
    ``based_on`` as for :func:`confirm_delivery`."""
    require_text(reason, OrderInvalid, _("Give the reason."))
    with transaction.atomic(durable=True):
        _check_handover_version(order, based_on)
        locked = _lock_order(order, OrderStatus.OUT_FOR_DELIVERY, actor=actor, courier_may=True)
        locked.status = OrderStatus.DELIVERY_FAILED
        locked.failure_reason = reason.strip()[:255]
        locked.save(update_fields=["status", "failure_reason", "updated_at"])
        _refund(locked, reason.strip(), actor=actor)
        audit.record(
            "record_delivery_failure",
            locked,
            actor=actor,
            before={"status": OrderStatus.OUT_FOR_DELIVERY},
            after={"status": locked.status, "reason": locked.failure_reason},
        )
        _move_on(locked, default_location(locked.pharmacy), MoveReason.RETURN, actor=actor)
        return locked
