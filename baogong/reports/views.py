"""The home dashboard: real counts from every app's queries."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from baogong.core.models import AuditEvent
from baogong.core.scoping import scoped
from baogong.orgs import queries as org_queries
from baogong.orgs.choices import SiteKind, SiteStatus


@login_required
def home(request: HttpRequest) -> HttpResponse:
    counts = org_queries.site_counts(request.user)
    kinds = [(value, label, counts["by_kind"].get(value, 0)) for value, label in SiteKind.choices]
    statuses = [(value, label, counts["by_status"].get(value, 0)) for value, label in SiteStatus.choices]
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
    }
    return render(request, "reports/home.html", context)
