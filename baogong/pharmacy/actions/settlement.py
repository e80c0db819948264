"""How an order was paid: one settlement, or the insurer's settlement file."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.excel import Column, normalise_text, parse_decimal, raise_if_errors, read_rows
from baogong.core.money import round_fen
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import user_scope
from baogong.pharmacy import locks
from baogong.pharmacy.actions.handling import _lock_order
from baogong.pharmacy.choices import (
    OrderStatus,
    SettlementMethod,
)
from baogong.pharmacy.errors import (
    AlreadySettled,
    SettlementInvalid,
)
from baogong.pharmacy.insurance import QuoteLine, policy_for, split_payment
from baogong.pharmacy.models import Order, Settlement


def _settle_errors(method: str, txn: str, current_year: Decimal, prior_years: Decimal) -> dict[str, list[str]]:
    """The field errors of a settlement, before anything is locked."""
    errors: dict[str, list[str]] = {}
    if method not in SettlementMethod.values:
        errors["method"] = [_("Unknown payment method.")]
    if method == SettlementMethod.INSURANCE and not txn:
        errors["transaction_number"] = [_("Enter the insurance transaction number.")]
    if current_year < 0 or prior_years < 0:
        errors["account"] = [_("Account balances cannot be negative.")]
    return errors


@retry_on_conflict
def settle_order(
    order: Order,
    *,
    method: str,
    actor: Actor,
    transaction_number: str = "",
    current_year: Decimal = Decimal("0"),
    prior_years: Decimal = Decimal("0"),
    policy_code: str | None = None,
) -> Settlement:
    """Record how the order was paid; with the insurance card the split follows the policy."""
    txn = transaction_number.strip()
    errors = _settle_errors(method, txn, current_year, prior_years)
    if errors:
        raise SettlementInvalid(details=errors)
    with transaction.atomic(durable=True):
        locked = _lock_order(order, *SETTLED_STATUSES, actor=actor)
        settlement = settle_locked(locked, method, txn, current_year, prior_years, policy_code, actor=actor)
        audit.record("settle_order", settlement, actor=actor, after=audit.snapshot(settlement))
        return settlement


SETTLED_STATUSES = (OrderStatus.READY, OrderStatus.OUT_FOR_DELIVERY, OrderStatus.DELIVERED)


def settle_locked(
    locked: Order,
    method: str,
    txn: str,
    current_year: Decimal,
    prior_years: Decimal,
    policy_code: str | None,
    *,
    actor: Actor,
) -> Settlement:
    """The settlement of an order the caller has locked and checked (scope, status), inside its
    transaction; the caller records the ``settle_order`` event."""
    if Settlement.objects.filter(order=locked).exists():
        raise AlreadySettled
    if txn and Settlement.objects.filter(transaction_number=txn).exists():
        raise SettlementInvalid(details={"transaction_number": [_("This transaction number is already recorded.")]})
    lines = [
        QuoteLine(
            drug=line.drug.item.code, unit_price=line.unit_price, qty=line.qty, insurance_class=line.insurance_class
        )
        for line in locked.lines.select_related("drug__item")
    ]
    policy = policy_for(policy_code) if method == SettlementMethod.INSURANCE else None
    if policy is not None:
        split = split_payment(policy, lines, fees=locked.fees, current_year=current_year, prior_years=prior_years)
        parts = {
            "total": split.total,
            "eligible": split.eligible,
            "personal_current": split.personal_current,
            "personal_prior": split.personal_prior,
            "pooled": split.pooled,
            "self_pay": split.self_pay,
        }
    else:
        total = sum((ln.amount for ln in lines), Decimal("0.00")) + locked.fees
        zero = Decimal("0.00")
        parts = {
            "total": total,
            "eligible": zero,
            "personal_current": zero,
            "personal_prior": zero,
            "pooled": zero,
            "self_pay": total,
        }
    return Settlement.objects.create(
        order=locked,
        method=method,
        policy=policy,
        transaction_number=txn,
        recorded_by=audit.user_of(actor),
        **parts,
    )


SETTLEMENT_COLUMNS = [
    Column("order", "订单号 / Order", required=True, example="YD220415123456"),
    Column("transaction_number", "医保交易号 / Insurance transaction", required=True, example="YB20220415000123"),
    Column("personal_current", "当年账户 / Current year", required=True, parse=parse_decimal, example="20.00"),
    Column("personal_prior", "历年账户 / Prior years", required=True, parse=parse_decimal, example="35.00"),
    Column("pooled", "统筹 / Pooled", parse=parse_decimal, example="0.00"),
]


@retry_on_conflict
def import_settlements(file: Any, *, actor: Actor) -> int:
    """The insurer's settlement file: one row per paid order, all or nothing. Returns rows imported.

    The insurer's amounts are taken as paid; the rest of the order's total is self-paid.
    """
    rows, errors = read_rows(file, SETTLEMENT_COLUMNS)
    raise_if_errors(errors)
    with transaction.atomic(durable=True):
        numbers = sorted({normalise_text(v["order"]) for _n, v in rows})
        scope = user_scope(actor)
        orders = {  # another pharmacy's order is, for this actor, no such order
            number: order
            for number, order in locks.orders_for_update(numbers).items()
            if scope.allows(organisation_id=order.pharmacy.organisation_id, site_id=order.pharmacy_id)
        }
        settled = set(Settlement.objects.filter(order__number__in=numbers).values_list("order__number", flat=True))
        known_txn = set(Settlement.objects.exclude(transaction_number="").values_list("transaction_number", flat=True))
        seen: set[str] = set()
        made = []
        for number, values in rows:
            order = orders.get(normalise_text(values["order"]))
            txn = normalise_text(values["transaction_number"])
            row_errors = []
            if order is None:
                row_errors.append(("order", _("no such order")))
            elif order.number in settled or order.number in seen:
                row_errors.append(("order", _("already settled")))
            elif order.status not in (OrderStatus.READY, OrderStatus.OUT_FOR_DELIVERY, OrderStatus.DELIVERED):
                row_errors.append(("order", _("the order is not approved")))
            if txn in known_txn:
                row_errors.append(("transaction_number", _("already recorded")))
            current = values["personal_current"] or Decimal("0")
            prior = values["personal_prior"] or Decimal("0")
            pooled = values.get("pooled") or Decimal("0")
            if min(current, prior, pooled) < 0:
                row_errors.append(("personal_current", _("amounts cannot be negative")))
            if order is not None and not row_errors:
                total = order.total
                paid = round_fen(current) + round_fen(prior) + round_fen(pooled)
                if paid > total:
                    row_errors.append(("personal_current", _("the insurer paid more than the order total")))
                else:
                    made.append(
                        Settlement(
                            order=order,
                            method=SettlementMethod.INSURANCE,
                            transaction_number=txn,
                            total=total,
                            eligible=paid,
                            personal_current=round_fen(current),
                            personal_prior=round_fen(prior),
                            pooled=round_fen(pooled),
                            self_pay=total - paid,
                            recorded_by=audit.user_of(actor),
                        )
                    )
                    seen.add(order.number)
                    known_txn.add(txn)
            errors.extend({"row": number, "field": f, "message": str(m)} for f, m in row_errors)
        raise_if_errors(errors)
        for settlement in made:
            settlement.save()
            audit.record("import_settlements", settlement, actor=actor, after=audit.snapshot(settlement))
        return len(made)
