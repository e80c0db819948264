"""The one filter of each procurement list: the page and the API filter suppliers and orders the
same way."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django_filters.rest_framework import BooleanFilter

from baogong.procurement.choices import OrderStatus, SupplierStatus
from baogong.procurement.models import PurchaseOrder, Supplier


class SupplierFilter(django_filters.FilterSet):
    """Status, exact USCC, and ``q``: a part of the name or of the USCC (any case)."""

    status = django_filters.ChoiceFilter(choices=SupplierStatus.choices)
    uscc = django_filters.CharFilter()
    q = django_filters.CharFilter(method="filter_text")

    class Meta:
        model = Supplier
        fields = ["status", "uscc", "q"]

    def filter_text(self, queryset: QuerySet[Supplier], name: str, value: str) -> QuerySet[Supplier]:
        text = value.strip()
        return queryset.filter(Q(name__icontains=text) | Q(uscc__icontains=text.upper())) if text else queryset


class OrderFilter(django_filters.FilterSet):
    """Status, supplier (id) and ``needs_review`` (``1``/``true``, ``0``/``false``)."""

    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    supplier = django_filters.ModelChoiceFilter(queryset=Supplier.objects.all())
    needs_review = BooleanFilter()

    class Meta:
        model = PurchaseOrder
        fields = ["status", "supplier", "needs_review"]
