"""The one filter of the item list: the page and the API filter items the same way."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from baogong.catalog.models import Item


class ItemFilter(django_filters.FilterSet):
    """``GET /api/v1/catalog/items/`` filters: category (and its sub-categories), code, text, active."""

    category = django_filters.CharFilter(method="filter_category")
    code = django_filters.CharFilter()
    q = django_filters.CharFilter(method="filter_text")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Item
        fields = ["category", "code", "q", "is_active"]

    def filter_category(self, queryset: QuerySet[Item], name: str, value: str) -> QuerySet[Item]:
        return queryset.filter(
            Q(category__code=value) | Q(category__parent__code=value) | Q(category__parent__parent__code=value)
        )

    def filter_text(self, queryset: QuerySet[Item], name: str, value: str) -> QuerySet[Item]:
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value) | Q(name_en__icontains=value))


class ItemPageFilter(ItemFilter):
    """The item page's filters: the API's, and its 1/0 ``active`` switch."""

    active = django_filters.ChoiceFilter(choices=[("1", "1"), ("0", "0")], method="filter_active")

    def filter_active(self, queryset: QuerySet[Item], name: str, value: str) -> QuerySet[Item]:
        return queryset.filter(is_active=value == "1")
