"""Ordered row locks for the finance app's actions (``docs/decisions/0003-lock-order.md``).

The order, within one transaction: the mission, then its claim, then its cost lines (in pk
order). Each lock takes its own rows only (``of=("self",)``): the mission loaded with a cost line
or a claim is read, not locked, so approving a line never waits on a claim being made.
"""

from __future__ import annotations

from collections.abc import Iterable

from baogong.finance.models import CostLine, Mission, ReimbursementClaim


def mission_for_update(pk: int) -> Mission:
    return Mission.objects.select_for_update().get(pk=pk)


def claim_for_update(pk: int) -> ReimbursementClaim:
    return ReimbursementClaim.objects.select_for_update(of=("self",)).select_related("mission").get(pk=pk)


def cost_line_for_update(pk: int) -> CostLine:
    return CostLine.objects.select_for_update(of=("self",)).select_related("mission").get(pk=pk)


def cost_lines_for_update(pks: Iterable[int]) -> list[CostLine]:
    return list(CostLine.objects.select_for_update().filter(pk__in=sorted(set(pks))).order_by("pk"))
