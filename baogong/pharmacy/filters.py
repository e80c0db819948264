"""The one filter of the order list: the page and the API filter pharmacy orders the same way."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from baogong.pharmacy.choices import OrderChannel, OrderStatus
from baogong.pharmacy.models import Order


class OrderFilter(django_filters.FilterSet):
    """Status, channel, pharmacy (by site code), and ``q``: a part of the order number."""

    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    channel = django_filters.ChoiceFilter(choices=OrderChannel.choices)
    pharmacy = django_filters.CharFilter(field_name="pharmacy__code")
    q = django_filters.CharFilter(method="filter_text")

    class Meta:
        model = Order
        fields = ["status", "channel", "pharmacy", "q"]

    def filter_text(self, queryset: QuerySet[Order], name: str, value: str) -> QuerySet[Order]:
        text = value.strip()
        return queryset.filter(number__icontains=text) if text else queryset
