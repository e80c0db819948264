"""One view answers a full page or, for htmx, just the partial it swaps."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from baogong.core.listexport import MAX_EXPORT_ROWS, is_export


def render_page_or_partial(request: HttpRequest, template: str, partial: str, context: dict[str, Any]) -> HttpResponse:
    htmx = getattr(request, "htmx", None)
    is_htmx = bool(htmx) and not getattr(htmx, "boosted", False)
    return render(request, partial if is_htmx else template, context)


def paginate(request: HttpRequest, queryset: Any, per_page: int = 50) -> Page[Any]:
    if is_export(request):  # ?export=xlsx: the whole list on one page (core.listexport)
        return Paginator(queryset, MAX_EXPORT_ROWS).get_page(1)
    try:
        per_page = max(1, min(500, int(request.GET.get("page_size", per_page))))
    except ValueError:
        pass
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def paginate_then_load(
    request: HttpRequest, keys: Any, load: Callable[[list[Any]], Iterable[Any]], per_page: int = 50
) -> Page[Any]:
    """Paginate a lean, ordered queryset of primary keys, then ``load`` only the page's rows.

    For big tables whose rows are shown with joins and annotations: the count and the offset walk
    one table's index instead of joining every skipped row (page 200 of 100,000 stock balances:
    joins for 50 rows instead of 10,000). ``load(pks)`` returns the rows in any order; the page
    keeps the order of ``keys``."""
    page = paginate(request, keys.values_list("pk", flat=True), per_page)
    pks = list(page.object_list)
    by_pk = {row.pk: row for row in load(pks)}
    page.object_list = [by_pk[pk] for pk in pks if pk in by_pk]
    return page
