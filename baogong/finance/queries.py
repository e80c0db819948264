"""Reads of missions and costs shared by views, the API and reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

from baogong.core.money import round_fen
from baogong.core.scoping import scoped
from baogong.finance.choices import ClaimStatus, CostCategory, CostStatus, MissionKind
from baogong.finance.models import CostLine, Mission, ReimbursementClaim

ZERO = Decimal("0.00")


def missions_for(user: Any) -> QuerySet[Mission]:
    return scoped(Mission.objects.select_related("organisation", "funder"), user)


def cost_lines_for(user: Any) -> QuerySet[CostLine]:
    return scoped(CostLine.objects.select_related("mission"), user)


def claims_for(user: Any) -> QuerySet[ReimbursementClaim]:
    return scoped(ReimbursementClaim.objects.select_related("mission"), user)


def filter_cost_lines(qs: QuerySet[CostLine], params: Any) -> QuerySet[CostLine]:
    """Filters shared by the cost-line list and the reports' drill-down links."""
    if params.get("mission"):
        qs = qs.filter(mission__code=params["mission"])
    if params.get("mission_kind"):
        qs = qs.filter(mission__kind=params["mission_kind"])
    if params.get("category"):
        qs = qs.filter(category=params["category"])
    if params.get("status"):
        qs = qs.filter(status=params["status"])
    if params.get("from"):
        qs = qs.filter(incurred_on__gte=params["from"])
    if params.get("to"):
        qs = qs.filter(incurred_on__lte=params["to"])
    return qs


def approved_costs(
    qs: QuerySet[CostLine], *, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[CostLine]:
    qs = qs.filter(status=CostStatus.APPROVED)
    if start:
        qs = qs.filter(incurred_on__gte=start)
    if end:
        qs = qs.filter(incurred_on__lte=end)
    return qs


def total(qs: QuerySet[CostLine]) -> Decimal:
    return round_fen(Decimal(qs.aggregate(t=Sum("amount"))["t"] or ZERO))  # SQLite sums in floating point


def field_hospital_costs(user: Any, start: dt.date | None, end: dt.date | None) -> Decimal:
    """Approved costs of field-hospital missions in the period (the article's 方舱运行经费)."""
    qs = cost_lines_for(user).filter(mission__kind=MissionKind.FIELD_HOSPITAL)
    return total(approved_costs(qs, start=start, end=end))


@dataclass
class CategoryLine:
    category: str
    label: str
    approved: Decimal
    pending: Decimal


@dataclass
class Statement:
    """Budget against actual, cost lines by category and claims of one mission."""

    mission: Mission
    categories: list[CategoryLine] = field(default_factory=list)
    approved: Decimal = ZERO
    pending: Decimal = ZERO
    claimed: Decimal = ZERO
    received: Decimal = ZERO
    lines: list[CostLine] = field(default_factory=list)
    claims: list[ReimbursementClaim] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.mission.budget - self.approved

    @property
    def used_percent(self) -> Decimal:
        if not self.mission.budget:
            return ZERO
        return (self.approved * 100 / self.mission.budget).quantize(Decimal("0.1"))

    @property
    def unclaimed(self) -> Decimal:
        return self.approved - self.claimed


def statement(mission: Mission) -> Statement:
    sums = {
        (row["category"], row["status"]): round_fen(Decimal(row["t"]))
        for row in CostLine.objects.filter(mission=mission).values("category", "status").annotate(t=Sum("amount"))
    }
    result = Statement(mission=mission)
    for value, label in CostCategory.choices:
        approved = sums.get((value, CostStatus.APPROVED), ZERO)
        pending = sums.get((value, CostStatus.PENDING), ZERO)
        result.categories.append(CategoryLine(value, str(label), approved, pending))
        result.approved += approved
        result.pending += pending
    live = ReimbursementClaim.objects.filter(mission=mission).exclude(status=ClaimStatus.REJECTED)
    agg = live.aggregate(c=Sum("amount"), r=Sum("amount_received"))
    result.claimed = round_fen(Decimal(agg["c"] or ZERO))
    result.received = round_fen(Decimal(agg["r"] or ZERO))
    result.lines = list(
        CostLine.objects.filter(mission=mission).select_related("claim", "approved_by").order_by("incurred_on", "pk")
    )
    result.claims = list(ReimbursementClaim.objects.filter(mission=mission).order_by("pk"))
    return result


def budget_vs_actual(user: Any) -> list[dict[str, Any]]:
    """Each visible mission's budget and approved costs (the dashboard's bar chart)."""
    rows = (
        missions_for(user)
        .annotate(actual=Sum("cost_lines__amount", filter=Q(cost_lines__status=CostStatus.APPROVED)))
        .order_by("code")
    )
    return [{"code": m.code, "name": m.name, "budget": m.budget, "actual": m.actual or ZERO} for m in rows]


def claimable_lines(mission: Mission) -> QuerySet[CostLine]:
    return CostLine.objects.filter(mission=mission, status=CostStatus.APPROVED, claim__isnull=True).order_by("pk")
