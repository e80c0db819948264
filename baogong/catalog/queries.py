from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from baogong.catalog.filters import ItemPageFilter
from baogong.catalog.models import Item


def filter_items(params: Any) -> QuerySet[Item]:
    """The item page's list: ``ItemPageFilter`` (the API's ``ItemFilter`` and the ``active`` switch)."""
    return ItemPageFilter(params, queryset=Item.objects.select_related("category").order_by("code")).qs
