"""Ordered row locks of distribution records."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from baogong.distribution.models import Request, RequestLine


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
