"""Reads shared by views, the API and reports."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, QuerySet

from baogong.core.scoping import scoped
from baogong.distribution.choices import ALLOCATABLE_STATUSES
from baogong.distribution.models import AllocationRun, Norm, Request, RequestLine


def requests_for(user: Any) -> QuerySet[Request]:
    return scoped(Request.objects.select_related("recipient"), user)


def entitlement(headcount: int | None, qty_per_person: Decimal | None) -> int | None:
    """Whole units a recipient is entitled to: ⌊headcount × norm⌋, or None when either is unknown."""
    if headcount is None or qty_per_person is None:
        return None
    return math.floor(Decimal(headcount) * qty_per_person)


def open_lines(request_ids: Iterable[int] | None = None) -> QuerySet[RequestLine]:
    """Approved lines of allocatable requests with units still to allocate (carry-over included)."""
    qs = RequestLine.objects.filter(
        request__status__in=ALLOCATABLE_STATUSES, approved_qty__gt=F("allocated_qty")
    ).select_related("request", "request__recipient", "item")
    if request_ids is not None:
        qs = qs.filter(request_id__in=list(request_ids))
    return qs.order_by("request_id", "id")


@dataclass(frozen=True)
class Claim:
    line: RequestLine
    tier: int
    outstanding: int
    entitlement: int | None
    claim: int


def claims(lines: Iterable[RequestLine]) -> list[Claim]:
    """Each line's claim: its outstanding units, capped by what is left of the recipient's
    entitlement for the line (headcount × per-person norm) when both are known."""
    lines = list(lines)
    norms = {n.item_id: n.qty_per_person for n in Norm.objects.filter(item_id__in={line.item_id for line in lines})}
    result = []
    for line in lines:
        site = line.request.recipient
        cap = entitlement(site.headcount, norms.get(line.item_id))
        outstanding = line.outstanding
        claim = outstanding if cap is None else max(0, min(outstanding, cap - line.allocated_qty))
        result.append(Claim(line, site.priority_tier, outstanding, cap, claim))
    return result


def naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def runs() -> QuerySet[AllocationRun]:
    return AllocationRun.objects.select_related("created_by").prefetch_related("warehouses")
