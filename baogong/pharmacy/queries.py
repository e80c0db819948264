"""Reads shared by pharmacy views, the API, reports and the command centre."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from baogong.core.geo import haversine_km
from baogong.core.money import round_fen
from baogong.core.scoping import scoped
from baogong.inventory.queries import available
from baogong.orgs.choices import SiteKind, SiteStatus
from baogong.orgs.models import Site
from baogong.pharmacy.choices import OrderStatus, SettlementStatus
from baogong.pharmacy.models import Drug, DrugDemand, FeeSchedule, Order, Settlement

ZERO = Decimal("0.00")


def pharmacies() -> QuerySet[Site]:
    """Pharmacies open for orders (normal status, active, with coordinates)."""
    return Site.objects.filter(
        kind=SiteKind.PHARMACY, is_active=True, status=SiteStatus.NORMAL, lat__isnull=False, lon__isnull=False
    ).order_by("code")


def search_drugs(text: str) -> QuerySet[Drug]:
    qs = Drug.objects.filter(is_active=True, item__is_active=True).select_related("item")
    text = text.strip()
    if text:
        qs = qs.filter(
            Q(generic_name__icontains=text)
            | Q(brand_name__icontains=text)
            | Q(item__name__icontains=text)
            | Q(item__code__iexact=text)
        )
    return qs.order_by("generic_name", "item__code")


@dataclass
class Nearby:
    site: Site
    km: float
    stock: int


def nearby_stock(drug: Drug, lat: float, lon: float, *, limit: int = 5) -> list[Nearby]:
    """The nearest pharmacies holding the drug, with the units available now."""
    sites = list(pharmacies())
    stock = available([s.pk for s in sites], [drug.item_id])
    rows = [
        Nearby(
            site=s, km=haversine_km(lat, lon, float(s.lat or 0), float(s.lon or 0)), stock=stock[(s.pk, drug.item_id)]
        )
        for s in sites
        if stock.get((s.pk, drug.item_id), 0) > 0
    ]
    return sorted(rows, key=lambda n: (n.km, n.site.code))[:limit]


@dataclass
class Assignment:
    site: Site
    km: float
    lines: dict[int, int] = field(default_factory=dict)  # drug id -> qty


def plan_fulfilment(needs: Mapping[Drug, int], lat: float, lon: float) -> tuple[list[Assignment], list[dict[str, Any]]]:
    """Which pharmacy fills which line: the nearest one that can fill the whole basket; otherwise
    each line goes (whole) to the nearest pharmacy that has enough of it.
    Returns the assignments and the lines nobody can fill."""
    sites = list(pharmacies())
    by_distance = sorted(
        ((haversine_km(lat, lon, float(s.lat or 0), float(s.lon or 0)), s) for s in sites),
        key=lambda p: (p[0], p[1].code),
    )
    stock = available([s.pk for s in sites], [d.item_id for d in needs])
    for km, site in by_distance:
        if all(stock.get((site.pk, d.item_id), 0) >= qty for d, qty in needs.items()):
            return [Assignment(site=site, km=km, lines={d.pk: q for d, q in needs.items()})], []
    chosen: dict[int, Assignment] = {}
    short: list[dict[str, Any]] = []
    for drug, qty in sorted(needs.items(), key=lambda p: p[0].pk):
        options = [(km, s) for km, s in by_distance if stock.get((s.pk, drug.item_id), 0) >= qty]
        if not options:
            best = max((stock.get((s.pk, drug.item_id), 0) for s in sites), default=0)
            short.append({"drug": drug.item.code, "name": str(drug), "requested": qty, "available": best})
            continue
        km, site = options[0]
        chosen.setdefault(site.pk, Assignment(site=site, km=km)).lines[drug.pk] = qty
    return sorted(chosen.values(), key=lambda a: (a.km, a.site.code)), short


def current_fees(on: dt.date | None = None) -> tuple[Decimal, Decimal]:
    day = on or timezone.localdate()
    schedule = FeeSchedule.objects.filter(valid_from__lte=day).order_by("-valid_from").first()
    if schedule is None:
        return ZERO, ZERO
    return schedule.delivery_fee, schedule.packaging_fee


def orders_for(user: Any) -> QuerySet[Order]:
    return scoped(Order.objects.all(), user).select_related("pharmacy", "area").order_by("-created_at", "-id")


def review_queue(user: Any, pharmacy_id: int | None = None) -> QuerySet[Order]:
    qs = orders_for(user).filter(status=OrderStatus.PLACED).order_by("created_at", "id")
    if pharmacy_id:
        qs = qs.filter(pharmacy_id=pharmacy_id)
    return qs


def unsettled_orders(user: Any) -> QuerySet[Order]:
    """Approved orders (picked, out or delivered) that have no settlement yet, oldest first."""
    settleable = [OrderStatus.READY, OrderStatus.OUT_FOR_DELIVERY, OrderStatus.DELIVERED]
    return orders_for(user).filter(status__in=settleable, settlement__isnull=True).order_by("created_at", "id")


def orders_served(start: dt.date, end: dt.date, *, site_ids: Iterable[int] | None = None) -> QuerySet[Order]:
    """Orders delivered between ``start`` and ``end`` (inclusive, local dates)."""
    qs = Order.objects.filter(status=OrderStatus.DELIVERED, delivered_at__date__gte=start, delivered_at__date__lte=end)
    if site_ids is not None:
        qs = qs.filter(pharmacy_id__in=list(site_ids))
    return qs


def amounts_by_payer(start: dt.date, end: dt.date, *, site_ids: Iterable[int] | None = None) -> dict[str, Decimal]:
    """Settled (not refunded) amounts in the period split by who paid them."""
    qs = Settlement.objects.filter(status=SettlementStatus.SETTLED, settled_on__gte=start, settled_on__lte=end)
    if site_ids is not None:
        qs = qs.filter(order__pharmacy_id__in=list(site_ids))
    sums = qs.aggregate(
        total=Sum("total"),
        personal_current=Sum("personal_current"),
        personal_prior=Sum("personal_prior"),
        pooled=Sum("pooled"),
        self_pay=Sum("self_pay"),
    )
    result = {k: round_fen(Decimal(v if v is not None else ZERO)) for k, v in sums.items()}  # SQLite: floats
    result["insurance"] = result["personal_current"] + result["personal_prior"] + result["pooled"]
    return result


def orders_per_day(user: Any, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Orders placed per day and pharmacy: ``[{"day", "pharmacy", "orders", "delivered"}]``."""
    rows = (
        orders_for(user)
        .filter(created_at__date__gte=start, created_at__date__lte=end)
        .values("created_at__date", "pharmacy__code", "pharmacy__name")
        .annotate(orders=Count("id"), delivered=Count("id", filter=Q(status=OrderStatus.DELIVERED)))
        .order_by("created_at__date", "pharmacy__code")
    )
    return [
        {
            "day": r["created_at__date"],
            "pharmacy": r["pharmacy__code"],
            "pharmacy_name": r["pharmacy__name"],
            "orders": r["orders"],
            "delivered": r["delivered"],
        }
        for r in rows
    ]


def fill_hours(user: Any, start: dt.date, end: dt.date) -> dict[str, float | None]:
    """Average and longest hours from order to delivery for orders delivered in the period."""
    spans = [
        (o.delivered_at - o.created_at).total_seconds() / 3600
        for o in orders_for(user).filter(
            status=OrderStatus.DELIVERED, delivered_at__date__gte=start, delivered_at__date__lte=end
        )
        if o.delivered_at
    ]
    if not spans:
        return {"average": None, "longest": None, "orders": 0}
    return {"average": round(sum(spans) / len(spans), 2), "longest": round(max(spans), 2), "orders": len(spans)}


def shortage_list(start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Drugs residents asked for that no pharmacy could supply, most wanted first (feeds procurement)."""
    rows = (
        DrugDemand.objects.filter(asked_at__date__gte=start, asked_at__date__lte=end)
        .values("drug__item__code", "drug__generic_name", "drug__strength")
        .annotate(qty=Sum("qty"), asks=Count("id"))
        .order_by("-qty", "drug__item__code")
    )
    return [
        {
            "item": r["drug__item__code"],
            "drug": f"{r['drug__generic_name']} {r['drug__strength']}",
            "qty": int(r["qty"] or 0),
            "asks": r["asks"],
        }
        for r in rows
    ]


def reconciliation(pharmacy: Site, day: dt.date) -> list[Settlement]:
    return list(
        Settlement.objects.filter(order__pharmacy=pharmacy, settled_on=day)
        .select_related("order", "policy")
        .order_by("id")
    )


COURIER_PERMISSION = ("pharmacy", "deliver_order")


def couriers() -> QuerySet[Any]:
    """Who may be handed an order to deliver: active staff (a grant of the group, so no tenant) whose role
    delivers pharmacy orders (drivers, pharmacists, the command centre) — never a read-only login."""
    app_label, codename = COURIER_PERMISSION
    allowed = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return (
        get_user_model()
        .objects.filter(is_active=True, grants__isnull=False)
        .filter(Q(groups__permissions__in=allowed) | Q(user_permissions__in=allowed))
        .distinct()
        .order_by("username")
    )
