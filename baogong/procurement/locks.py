"""Ordered row locks: always by primary key, so concurrent actions cannot deadlock."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from baogong.procurement.models import PurchaseOrder, PurchaseOrderLine, Supplier


def suppliers_for_update(ids: Iterable[int]) -> QuerySet[Supplier]:
    return Supplier.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk")


def orders_for_update(ids: Iterable[int]) -> QuerySet[PurchaseOrder]:
    return PurchaseOrder.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk")


def order_lines_for_update(ids: Iterable[int]) -> QuerySet[PurchaseOrderLine]:
    return PurchaseOrderLine.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk")
