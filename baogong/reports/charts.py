"""The live dashboard's charts. Each reads one app's ``queries.py`` (plain imports); a chart that has
nothing to show this user (group-wide figures for a scoped user) answers ``available: false`` and
the page says "not yet available"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from baogong.command import queries as command_queries
from baogong.core.scoping import has_global_scope
from baogong.distribution import choices as distribution_choices
from baogong.distribution import queries as distribution_queries
from baogong.finance import queries as finance_queries
from baogong.inventory import queries as inventory_queries
from baogong.orgs import queries as orgs_queries
from baogong.orgs.choices import SiteStatus
from baogong.people import queries as people_queries
from baogong.pharmacy import queries as pharmacy_queries
from baogong.pharmacy.choices import OrderStatus
from baogong.property import queries as property_queries
from baogong.reports.figures import FigureUnavailable, link

Chart = dict[str, Any]
CHARTS: list[tuple[str, str, str | None, Callable[[Any, dt.date], Chart]]] = []


def chart(
    key: str, title: str, perm: str | None = None
) -> Callable[[Callable[[Any, dt.date], Chart]], Callable[[Any, dt.date], Chart]]:
    def register(func: Callable[[Any, dt.date], Chart]) -> Callable[[Any, dt.date], Chart]:
        CHARTS.append((key, title, perm, func))
        return func

    return register


def dashboard(user: Any, today: dt.date) -> list[Chart]:
    result = []
    for key, title, perm, func in CHARTS:
        if perm and not user.has_perm(perm):
            continue
        try:
            body = func(user, today)
        except FigureUnavailable:
            result.append({"key": key, "title": title, "available": False})
            continue
        result.append({"key": key, "title": title, "available": True, **body})
    return result


def status_counts(user: Any, day: dt.date) -> dict[str, int]:
    """Sites by status: today's statuses, or for a past day the strictest status each site had
    that day (from the status history)."""
    counts: dict[str, int] = dict(orgs_queries.site_counts(user)["by_status"])
    if day >= timezone.localdate():
        return counts
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    states = orgs_queries.sites_not_normal_during(user, start, start + dt.timedelta(days=1))
    past = {value: 0 for value in SiteStatus.values}
    for state in states:
        past[state.status] += 1
    past[SiteStatus.NORMAL] = sum(counts.values()) - len(states)
    return past


@chart("sites_by_status", "场所状态", "orgs.view_site")
def sites_by_status(user: Any, today: dt.date) -> Chart:
    counts = status_counts(user, today)
    return {
        "type": "bar",
        "labels": [str(label) for _value, label in SiteStatus.choices],
        "series": [{"name": "场所", "values": [counts.get(v, 0) for v, _l in SiteStatus.choices]}],
        "links": [link("orgs:site_list", status=v) for v, _l in SiteStatus.choices],
    }


@chart("deliveries_per_day", "近14天每日送达物资价值（元）", "distribution.view_shipment")
def deliveries_per_day(user: Any, today: dt.date) -> Chart:
    if not has_global_scope(user):
        raise FigureUnavailable("group-wide")
    start = today - dt.timedelta(days=13)
    rows = {r["key"]: r for r in distribution_queries.delivered_breakdown(start, today, "day")}
    days = [(start + dt.timedelta(days=i)).isoformat() for i in range(14)]
    return {
        "type": "bar",
        "labels": [d[5:] for d in days],
        "series": [
            {"name": "价值", "values": [rows.get(d, {}).get("value", Decimal(0)) for d in days]},
            {"name": "件数", "values": [rows.get(d, {}).get("items", 0) for d in days]},
        ],
        "links": [link("distribution:delivered_value", **{"from": d, "to": d}) for d in days],
    }


@chart("requests_by_tier", "需求与满足率（按优先级）", "distribution.view_request")
def requests_by_tier(user: Any, today: dt.date) -> Chart:
    """Open requests per tier and the fill rate: delivered ÷ approved (or asked) units of live and done requests."""
    from django.db.models import Count, Sum
    from django.db.models.functions import Coalesce

    requests = distribution_queries.requests_for(user)
    open_rows = dict(
        requests.filter(status__in=distribution_choices.LIVE_STATUSES)
        .values_list("recipient__priority_tier")
        .annotate(n=Count("id"))
        .order_by()
    )
    counted = requests.exclude(status__in=["draft", "rejected", "cancelled"])
    fill = {
        r["recipient__priority_tier"]: r
        for r in counted.values("recipient__priority_tier")
        .annotate(asked=Sum(Coalesce("lines__approved_qty", "lines__qty")), delivered=Sum("lines__delivered_qty"))
        .order_by()
    }
    tiers = [1, 2, 3, 4, 5]

    def rate(tier: int) -> Decimal:
        row = fill.get(tier)
        if not row or not row["asked"]:
            return Decimal("0.0")
        return (Decimal(row["delivered"] or 0) * 100 / row["asked"]).quantize(Decimal("0.1"))

    return {
        "type": "bar",
        "labels": [f"第{t}级" for t in tiers],
        "series": [
            {"name": "未完成需求", "values": [open_rows.get(t, 0) for t in tiers]},
            {"name": "满足率%", "values": [rate(t) for t in tiers]},
        ],
        "links": [link("distribution:request_list", tier=t) for t in tiers],
    }


OUTFLOWS = ["issue", "shipment", "dispense"]


@chart("stock_by_category", "库存与可供天数（按类别）", "inventory.view_stockbalance")
def stock_by_category(user: Any, today: dt.date) -> Chart:
    """On hand per category and days of cover: on hand ÷ average daily outflow of the last 14 days."""
    from django.db.models import Sum

    rows = inventory_queries.valuation(
        inventory_queries.stock_on_hand(inventory_queries.balances_for(user)), "category"
    )
    since = today - dt.timedelta(days=13)
    out = dict(
        inventory_queries.moves_for(user)
        .filter(reason__in=OUTFLOWS, at__date__gte=since, at__date__lte=today)
        .values_list("item__category__code")
        .annotate(q=Sum("qty"))
        .order_by()
    )

    def cover(row: dict[str, Any]) -> Decimal | None:
        daily = Decimal(out.get(row["key"], 0)) / 14
        return (Decimal(row["qty"]) / daily).quantize(Decimal("0.1")) if daily else None

    return {
        "type": "bar",
        "labels": [r["label"] for r in rows],
        "series": [
            {"name": "在库数量", "values": [r["qty"] for r in rows]},
            {"name": "可供天数", "values": [cover(r) for r in rows]},
        ],
        "links": [link("inventory:stock_list", category=r["key"]) for r in rows],
    }


@chart("people_on_duty", "今日在岗人员（按企业）", "people.view_person")
def people_on_duty(user: Any, today: dt.date) -> Chart:
    rows = people_queries.on_duty_by_enterprise(user, today)
    return {
        "type": "bar",
        "labels": [r["organisation"] for r in rows],
        "series": [{"name": "在岗", "values": [r["people"] for r in rows]}],
        "links": [link("people:deployment_list", on=today) for _r in rows],
    }


@chart("costs_vs_budget", "保供任务预算与已审核费用（元）", "finance.view_mission")
def costs_vs_budget(user: Any, today: dt.date) -> Chart:
    rows = finance_queries.budget_vs_actual(user)
    return {
        "type": "bar",
        "labels": [r["code"] for r in rows],
        "series": [
            {"name": "预算", "values": [r["budget"] for r in rows]},
            {"name": "已审核费用", "values": [r["actual"] for r in rows]},
        ],
        "links": [link("finance:cost_list", mission=r["code"], status="approved") for r in rows],
    }


@chart("relief_by_week", "租金减免申请进度（按周）", "property.view_reliefapplication")
def relief_by_week(user: Any, today: dt.date) -> Chart:
    weeks = property_queries.progress(user)["by_week"]
    return {
        "type": "bar",
        "labels": [w for w, _r in weeks],
        "series": [
            {"name": "受理", "values": [r["received"] for _w, r in weeks]},
            {"name": "通过", "values": [r["approved"] for _w, r in weeks]},
        ],
        "links": [link("property:application_list") for _w in weeks],
    }


@chart("tests_per_day", "近14天检测与阳性（人次）", "people.view_healthtest")
def tests_per_day(user: Any, today: dt.date) -> Chart:
    start = today - dt.timedelta(days=13)
    begin, _ = people_queries.day_bounds(start)
    _, end = people_queries.day_bounds(today)
    from django.utils import timezone

    tests: dict[str, int] = {}
    positives: dict[str, int] = {}
    for taken_at, result in (
        people_queries.tests_for(user).filter(taken_at__gte=begin, taken_at__lt=end).values_list("taken_at", "result")
    ):
        day = timezone.localtime(taken_at).date().isoformat()
        tests[day] = tests.get(day, 0) + 1
        if result == "positive":
            positives[day] = positives.get(day, 0) + 1
    days = [(start + dt.timedelta(days=i)).isoformat() for i in range(14)]
    return {
        "type": "line",
        "labels": [d[5:] for d in days],
        "series": [
            {"name": "检测", "values": [tests.get(d, 0) for d in days]},
            {"name": "阳性", "values": [positives.get(d, 0) for d in days]},
        ],
        "links": [link("people:dashboard", **{"from": d, "to": d}) for d in days],
    }


@chart("pharmacy_orders", "药房订单", "pharmacy.view_order")
def pharmacy_orders(user: Any, today: dt.date) -> Chart:
    """The user's pharmacy orders by status, every status shown (zero included)."""
    from django.db.models import Count

    counts = dict(pharmacy_queries.orders_for(user).values_list("status").annotate(n=Count("id")).order_by())
    return {
        "type": "bar",
        "labels": [str(label) for _value, label in OrderStatus.choices],
        "series": [{"name": "订单", "values": [counts.get(v, 0) for v, _l in OrderStatus.choices]}],
        "links": [link("pharmacy:order_list", status=v) for v, _l in OrderStatus.choices],
    }


@chart("compliance_by_week", "复商复市检查项合格率（按周，%）", "command.view_inspection")
def compliance_by_week(user: Any, today: dt.date) -> Chart:
    weeks = command_queries.compliance_by_week(command_queries.compliance(user, today - dt.timedelta(weeks=8), today))
    return {
        "type": "line",
        "labels": [w.isoformat() for w in weeks],
        "series": [
            {
                "name": "合格率",
                "values": [
                    (Decimal(v["compliant"]) * 100 / v["checked"]).quantize(Decimal("0.1")) if v["checked"] else 0
                    for v in weeks.values()
                ],
            }
        ],
        "links": [link("command:compliance", **{"from": w, "to": w + dt.timedelta(days=6)}) for w in weeks],
    }
