"""One view answers a full page or, for htmx, just the partial it swaps."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page_or_partial(request: HttpRequest, template: str, partial: str, context: dict[str, Any]) -> HttpResponse:
    htmx = getattr(request, "htmx", None)
    is_htmx = bool(htmx) and not getattr(htmx, "boosted", False)
    return render(request, partial if is_htmx else template, context)


def paginate(request: HttpRequest, queryset: Any, per_page: int = 50) -> Page[Any]:
    try:
        per_page = max(1, min(500, int(request.GET.get("page_size", per_page))))
    except ValueError:
        pass
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))
