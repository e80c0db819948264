"""A pharmacy's batch of orders in one transaction: approve them (stock picked), settle them, hand
them to a courier, confirm their hand-overs (stock delivered) — the pharmacist's morning queue, the
replay's day of orders.

Each does, for each order, what :func:`~baogong.pharmacy.actions.approve_order` or
:func:`~baogong.pharmacy.actions.confirm_delivery` does — the same scope and status checks, the
same prescription check, the same status change and audit events — with the stock of all the
orders moved by one ``ledger.move_many`` (every balance locked once, one insert). The orders are
locked first, in pk order (decision 0003), then the balances. Each order is all-or-nothing: its
checks run in a savepoint, a refused order is answered with its error and does not stop the
others. When the shared move is refused (stock changed under a pick), the batch falls back to the
orders one by one, each in its savepoint, so only the order whose stock is missing is refused.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import DomainError, NotFound
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope
from baogong.inventory import ledger
from baogong.inventory.choices import MoveReason, ReservationStatus
from baogong.inventory.ledger import MoveGroup, MoveInput
from baogong.inventory.locations import in_transit_location, recipient_location
from baogong.inventory.models import Reservation, StockMove
from baogong.pharmacy import locks
from baogong.pharmacy.actions.delivery import check_courier, dispatch_locked
from baogong.pharmacy.actions.handling import DOCUMENT_TYPE, _move_on, _pick
from baogong.pharmacy.actions.review import _check_prescription
from baogong.pharmacy.actions.settlement import SETTLED_STATUSES, _settle_errors, settle_locked
from baogong.pharmacy.choices import OrderStatus
from baogong.pharmacy.errors import HandoverCodeWrong, OrderStateInvalid, SettlementInvalid
from baogong.pharmacy.models import Order, Settlement

Result = Order | DomainError


def _check(locked: Order, *allowed: str, actor: Actor, courier_may: bool = False) -> None:
    """The checks of ``_lock_order`` on an order the batch has locked."""
    is_its_courier = courier_may and locked.courier_id is not None and locked.courier_id == getattr(actor, "pk", None)
    if not is_its_courier:
        require_scope(actor, organisation_id=locked.pharmacy.organisation_id, site_id=locked.pharmacy_id)
    if locked.status not in allowed:
        raise OrderStateInvalid(details={"status": [locked.get_status_display()]})


def _each(locked: dict[int, Order], order: Order) -> Order:
    """The batch's locked copy of ``order`` (an order deleted meanwhile is not there)."""
    if order.pk not in locked:
        raise NotFound()
    return locked[order.pk]


def _run(
    orders: Sequence[Order],
    step: Callable[[Order, int], None],
    groups: Callable[[list[Order]], list[MoveGroup]],
    one_by_one: Callable[[Order], Any],
    *,
    reason: str,
    actor: Actor,
) -> list[Result]:
    """Lock the orders, run ``step`` on each in a savepoint, then move the stock of those that
    passed with one ``move_many`` (or, if that is refused, ``one_by_one`` per order)."""
    locked = locks.orders_by_pk_for_update([o.pk for o in orders])
    results: list[Result] = []
    with transaction.atomic():
        passed: list[Order] = []
        for i, order in enumerate(orders):
            try:
                with transaction.atomic():
                    step(_each(locked, order), i)
            except DomainError as exc:
                results.append(exc)
                continue
            results.append(locked[order.pk])
            passed.append(locked[order.pk])
        try:
            with transaction.atomic():
                ledger.move_many(groups(passed), actor=actor, reason=reason, document_type=DOCUMENT_TYPE)
            return results
        except DomainError:
            transaction.set_rollback(True)
    # the shared move was refused: every order again, alone in its savepoint
    locked = locks.orders_by_pk_for_update([o.pk for o in orders])
    results = []
    for i, order in enumerate(orders):
        try:
            with transaction.atomic():
                step(_each(locked, order), i)
                one_by_one(locked[order.pk])
        except DomainError as exc:
            results.append(exc)
            continue
        results.append(locked[order.pk])
    return results


@retry_on_conflict
def approve_orders(orders: Sequence[Order], *, actor: Actor) -> list[Result]:
    """Approve each order as :func:`approve_order` without a prescription check would (an order that
    needs a prescription is refused), in one transaction; answers each order or its refusal."""

    def step(order: Order, _i: int) -> None:
        _check(order, OrderStatus.PLACED, actor=actor)
        _check_prescription(order, None)
        audit.change_status(
            "approve_order",
            order,
            OrderStatus.READY,
            actor=actor,
            stamps={"reviewed_by": audit.user_of(actor), "reviewed_at": timezone.now()},
        )

    def groups(passed: list[Order]) -> list[MoveGroup]:
        reserved: dict[str, list[Reservation]] = {o.number: [] for o in passed}
        rows = (
            Reservation.objects.filter(reference__in=list(reserved), status=ReservationStatus.ACTIVE)
            .select_related("lot", "location", "item")
            .order_by("pk")
        )
        for r in rows:
            reserved[r.reference].append(r)
        out = []
        for order in passed:
            to = in_transit_location(order.pharmacy)
            lines = [
                MoveInput(item=r.item, lot=r.lot, from_location=r.location, to_location=to, qty=r.qty, reservation=r)
                for r in reserved[order.number]
            ]
            out.append(MoveGroup(lines=lines, reference=order.number, document_id=order.pk))
        return out

    with transaction.atomic(durable=True):
        return _run(orders, step, groups, lambda o: _pick(o, actor=actor), reason=MoveReason.DISPENSE, actor=actor)


@retry_on_conflict
def confirm_deliveries(handovers: Sequence[tuple[Order, str]], *, actor: Actor) -> list[Result]:
    """Confirm each hand-over (the order and the code the resident gave) as :func:`confirm_delivery`
    would, in one transaction; answers each order or its refusal (a wrong code, a wrong status)."""

    def step(order: Order, i: int) -> None:
        _check(order, OrderStatus.OUT_FOR_DELIVERY, actor=actor, courier_may=True)
        if not secrets.compare_digest((handovers[i][1] or "").strip(), order.handover_code):
            raise HandoverCodeWrong(details={"code": [_("The hand-over code does not match.")]})
        audit.change_status(
            "confirm_delivery", order, OrderStatus.DELIVERED, actor=actor, stamps={"delivered_at": timezone.now()}
        )

    def groups(passed: list[Order]) -> list[MoveGroup]:
        picked: dict[int, list[StockMove]] = {o.pk: [] for o in passed}
        rows = (
            StockMove.objects.filter(
                document_type=DOCUMENT_TYPE, document_id__in=list(picked), reason=MoveReason.DISPENSE
            )
            .select_related("lot", "item", "from_location", "to_location")
            .order_by("pk")
        )
        for m in rows:
            picked[m.document_id or 0].append(m)  # document_id is in picked: the filter above
        out = []
        for order in passed:
            to = recipient_location(order.pharmacy)
            lines = [
                MoveInput(item=m.item, lot=m.lot, from_location=m.to_location, to_location=to, qty=m.qty)
                for m in picked[order.pk]
            ]
            out.append(MoveGroup(lines=lines, reference=order.number, document_id=order.pk))
        return out

    orders = [order for order, _code in handovers]
    with transaction.atomic(durable=True):
        return _run(
            orders,
            step,
            groups,
            lambda o: _move_on(o, recipient_location(o.pharmacy), MoveReason.DELIVERY, actor=actor),
            reason=MoveReason.DELIVERY,
            actor=actor,
        )


def _each_locked(orders: Sequence[Order], step: Callable[[Order, int], Any]) -> list[Any]:
    """Lock the orders (pk order), run ``step`` on each in a savepoint; answers each step's result
    or the error that refused it (inside the caller's transaction)."""
    locked = locks.orders_by_pk_for_update([o.pk for o in orders])
    results: list[Any] = []
    for i, order in enumerate(orders):
        try:
            with transaction.atomic():
                results.append(step(_each(locked, order), i))
        except DomainError as exc:
            results.append(exc)
    return results


@dataclass(frozen=True)
class SettleInput:
    """One order's payment in :func:`settle_orders` (the arguments of ``settle_order``)."""

    order: Order
    method: str
    transaction_number: str = ""
    current_year: Decimal = Decimal("0")
    prior_years: Decimal = Decimal("0")
    policy_code: str | None = None


@retry_on_conflict
def settle_orders(payments: Sequence[SettleInput], *, actor: Actor) -> list[Settlement | DomainError]:
    """Settle each order as :func:`settle_order` would, in one transaction (one ``settle_order``
    event each, in one insert); answers each settlement or its refusal (a field error, an order
    not approved or already settled, a transaction number already recorded)."""

    def step(order: Order, i: int) -> Settlement:
        p = payments[i]
        txn = p.transaction_number.strip()
        errors = _settle_errors(p.method, txn, p.current_year, p.prior_years)
        if errors:
            raise SettlementInvalid(details=errors)
        _check(order, *SETTLED_STATUSES, actor=actor)
        return settle_locked(order, p.method, txn, p.current_year, p.prior_years, p.policy_code, actor=actor)

    with transaction.atomic(durable=True):
        results = _each_locked([p.order for p in payments], step)
        settled = [r for r in results if isinstance(r, Settlement)]
        audit.record_many("settle_order", [audit.Entry(r, after=audit.snapshot(r)) for r in settled], actor=actor)
        return results


@retry_on_conflict
def dispatch_orders(orders: Sequence[Order], courier: Any, *, actor: Actor) -> list[Result]:
    """Hand each ready order to ``courier`` as :func:`dispatch_order` would, in one transaction;
    answers each order or its refusal (not ready, outside the actor's scope). A courier who may not
    deliver refuses every order, with that error."""
    try:
        check_courier(courier)
    except DomainError as exc:
        return [exc for _order in orders]

    def step(order: Order, _i: int) -> Order:
        _check(order, OrderStatus.READY, actor=actor)
        return dispatch_locked(order, courier, actor=actor)

    with transaction.atomic(durable=True):
        return _each_locked(orders, step)
