"""Ordered row locks of distribution records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from baogong.distribution.models import Request, RequestLine, Shipment


def request_for_update(pk: int) -> Request:
    """One request, locked (with its recipient loaded)."""
    return Request.objects.select_for_update(of=("self",)).select_related("recipient").get(pk=pk)


def requests_for_update(pks: Iterable[int]) -> list[Request]:
    return list(
        Request.objects.select_for_update(of=("self",))
        .select_related("recipient")
        .filter(pk__in=set(pks))
        .order_by("pk")
    )


def lines_for_update(pks: Iterable[int]) -> QuerySet[RequestLine]:
    return RequestLine.objects.select_for_update(of=("self",)).filter(pk__in=set(pks)).order_by("pk")


def requests_of_lines_for_update(request_ids: QuerySet[Any]) -> list[tuple[int, str, str | None]]:
    """``(pk, status, number)`` of the requests a subquery selects, locked in pk order (tuples,
    not instances: a confirm may lock ten thousand)."""
    return list(
        Request.objects.select_for_update()
        .filter(pk__in=request_ids)
        .order_by("pk")
        .values_list("pk", "status", "number")
    )


def request_lines_for_update(line_ids: QuerySet[Any]) -> list[tuple[int, int, int | None, int]]:
    """``(pk, request_id, approved_qty, allocated_qty)`` of the lines a subquery selects, locked in
    pk order."""
    return list(
        RequestLine.objects.select_for_update()
        .filter(pk__in=line_ids)
        .order_by("pk")
        .values_list("pk", "request_id", "approved_qty", "allocated_qty")
    )


def shipments_for_update(pks: Iterable[int]) -> list[Shipment]:
    """Shipments, locked in pk order (step 1 of the lock order when they are the document acted
    on; after the caller's own document otherwise, as fleet's plan and routes)."""
    return list(Shipment.objects.select_for_update(of=("self",)).filter(pk__in=set(pks)).order_by("pk"))
