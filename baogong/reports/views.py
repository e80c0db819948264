"""The home dashboard (live, refreshes itself), the daily situation report and the work summary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from baogong.core.dates import parse_date_or_none
from baogong.core.dbrouter import read_from_replica
from baogong.core.models import AuditEvent
from baogong.core.permissions import require_perm
from baogong.core.scoping import scoped
from baogong.orgs import queries as org_queries
from baogong.orgs.choices import SiteKind, SiteStatus
from baogong.reports import charts, inbox
from baogong.reports.daily import data_span, latest_day
from baogong.reports.documents import CONTENT_TYPES, DAILY, SUMMARY, build_report
from baogong.reports.documents import render as render_document
from baogong.reports.figures import Period


def _day(request: HttpRequest) -> dt.date:
    """The day asked for (``?date=``), else the latest day with data; never after today."""
    asked = parse_date_or_none(request.GET.get("date"))
    today = timezone.localdate()
    return min(asked, today) if asked else latest_day(request.user)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's home: its task inbox; the command centre's is the dashboard."""
    if inbox.has_inbox(request.user):
        today = timezone.localdate()
        return render(request, "reports/inbox.html", {"cards": inbox.cards_for(request.user, today), "today": today})
    # the command centre's own work (requests to approve) above its dashboard
    return _dashboard(request, cards=inbox.cards_for(request.user, timezone.localdate()))


@require_perm("reports.view_reports")
@read_from_replica
def dashboard(request: HttpRequest) -> HttpResponse:
    """The command dashboard for roles whose home is their inbox (the auditor, say)."""
    return _dashboard(request)


def _dashboard(request: HttpRequest, cards: list[inbox.Card] | None = None) -> HttpResponse:
    counts = org_queries.site_counts(request.user)
    day = _day(request)
    kinds = [(value, label, counts["by_kind"].get(value, 0)) for value, label in SiteKind.choices]
    by_status = charts.status_counts(request.user, day)
    statuses = [(value, label, by_status.get(value, 0)) for value, label in SiteStatus.choices]
    enterprises = org_queries.enterprises_with_sites(request.user)
    sites = (
        org_queries.sites_for(request.user)
        .exclude(kind__in=["pharmacy", "street_office", "government_bureau"])
        .order_by("kind", "code")[:60]
    )
    recent = []
    if request.user.has_perm("core.view_auditevent"):
        recent = list(scoped(AuditEvent.objects.select_related("actor"), request.user)[:8])
    context = {
        "site_total": counts["total"],
        "kinds": kinds,
        "statuses": statuses,
        "enterprises": enterprises,
        "group_sites": sites,
        "recent_events": recent,
        "chart_kinds": {"labels": [str(k[1]) for k in kinds if k[2]], "values": [k[2] for k in kinds if k[2]]},
        "live": request.user.has_perm("reports.view_reports"),
        "day": day,
        "is_today": day == timezone.localdate(),
        "today": timezone.localdate(),
        "cards": cards or [],
    }
    return render(request, "reports/home.html", context)


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@require_perm("reports.view_reports")
@read_from_replica
def dashboard_data(request: HttpRequest) -> JsonResponse:
    """The live dashboard's charts; the page fetches this every minute."""
    day = _day(request)
    now = timezone.localtime()
    data = {
        "date": day,
        "at": f"{now:%Y-%m-%d %H:%M}",
        "day_label": f"{day:%Y年%m月%d日}",
        "charts": charts.dashboard(request.user, day),
    }
    return JsonResponse(_json_safe(data))


def _date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _document(request: HttpRequest, kind: str, period: Period, filename: str) -> HttpResponse:
    report = build_report(request.user, kind, period)
    fmt = request.GET.get("format", "")
    if fmt in CONTENT_TYPES:
        response = HttpResponse(render_document(report, fmt), content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
        return response
    return render(request, "reports/report.html", {"report": report, "kind": kind, "params": request.GET})


@require_perm("reports.view_reports")
@read_from_replica
def daily(request: HttpRequest) -> HttpResponse:
    day = _date(request.GET.get("date"), latest_day(request.user))
    return _document(request, DAILY, Period(day, day), f"daily-{day.isoformat()}")


@require_perm("reports.view_reports")
@read_from_replica
def summary(request: HttpRequest) -> HttpResponse:
    # Opens on the span with data (the replay's two months, say), not on the last 60 days of zeros.
    span = data_span(request.user) or (timezone.localdate() - dt.timedelta(days=60), timezone.localdate())
    end = _date(request.GET.get("to"), span[1])
    start = _date(request.GET.get("from"), span[0] if not request.GET.get("to") else end - dt.timedelta(days=60))
    if start > end:
        start, end = end, start
    return _document(request, SUMMARY, Period(start, end), f"summary-{start.isoformat()}-{end.isoformat()}")
