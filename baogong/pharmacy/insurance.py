"""The insurance payment split: pure arithmetic over a policy's rates (no rates here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core.money import round_fen
from baogong.pharmacy.errors import PolicyNotFound
from baogong.pharmacy.models import InsurancePolicy

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


class PolicyRates(Protocol):
    fees_eligible: bool
    pooled_fund_percent: Decimal

    def eligible_percent(self, insurance_class: str) -> Decimal: ...


@dataclass(frozen=True)
class QuoteLine:
    drug: str
    unit_price: Decimal
    qty: int
    insurance_class: str  # "A", "B" or "C"

    @property
    def amount(self) -> Decimal:
        return round_fen(self.unit_price * self.qty)


@dataclass(frozen=True)
class Split:
    total: Decimal
    eligible: Decimal
    personal_current: Decimal
    personal_prior: Decimal
    pooled: Decimal
    self_pay: Decimal

    def as_strings(self) -> dict[str, str]:
        return {
            "total": str(self.total),
            "eligible": str(self.eligible),
            "personal_current": str(self.personal_current),
            "personal_prior": str(self.personal_prior),
            "pooled": str(self.pooled),
            "self_pay": str(self.self_pay),
        }


def line_eligible(policy: PolicyRates, line: QuoteLine) -> Decimal:
    return round_fen(line.amount * policy.eligible_percent(line.insurance_class) / HUNDRED)


def split_payment(
    policy: PolicyRates,
    lines: Sequence[QuoteLine],
    *,
    fees: Decimal = ZERO,
    current_year: Decimal = ZERO,
    prior_years: Decimal = ZERO,
) -> Split:
    """Who pays what of an order under ``policy``; every figure to the fen."""
    goods = sum((line.amount for line in lines), ZERO)
    fees = round_fen(fees)
    total = goods + fees
    eligible = sum((line_eligible(policy, line) for line in lines), ZERO)
    if policy.fees_eligible:
        eligible += fees
    personal_current = min(eligible, round_fen(max(current_year, ZERO)))
    personal_prior = min(eligible - personal_current, round_fen(max(prior_years, ZERO)))
    pooled = round_fen((eligible - personal_current - personal_prior) * policy.pooled_fund_percent / HUNDRED)
    self_pay = total - personal_current - personal_prior - pooled
    return Split(
        total=total,
        eligible=eligible,
        personal_current=personal_current,
        personal_prior=personal_prior,
        pooled=pooled,
        self_pay=self_pay,
    )


def policy_for(code: str | None = None, *, on: dt.date | None = None) -> InsurancePolicy:
    """The policy named ``code``, or the default policy in force on ``on`` (today if not given)."""
    if code:
        policy = InsurancePolicy.objects.filter(code=code).first()
        if policy is None:
            raise PolicyNotFound(details={"policy": [_("No insurance policy with this code.")]})
        return policy
    day = on or timezone.localdate()
    in_force = InsurancePolicy.objects.filter(valid_from__lte=day).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )
    policy = in_force.filter(is_default=True).first() or InsurancePolicy.objects.filter(is_default=True).first()
    if policy is None:
        raise PolicyNotFound(details={"policy": [_("No default insurance policy is configured.")]})
    return policy
