from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from baogong.catalog.models import Item


def filter_items(params: Any) -> QuerySet[Item]:
    qs = Item.objects.select_related("category").order_by("code")
    if q := (params.get("q") or "").strip():
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(name_en__icontains=q))
    if category := params.get("category"):
        qs = qs.filter(
            Q(category__code=category) | Q(category__parent__code=category) | Q(category__parent__parent__code=category)
        )
    if params.get("active") in ("1", "0"):
        qs = qs.filter(is_active=params.get("active") == "1")
    return qs
