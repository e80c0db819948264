"""Reads of organisations and sites shared by views, the API and reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from baogong.core.scoping import scoped
from baogong.orgs.choices import SiteStatus
from baogong.orgs.models import Organisation, Site, SiteStatusChange


def sites_for(user: Any) -> QuerySet[Site]:
    return scoped(Site.objects.select_related("organisation", "area"), user)


def organisations_for(user: Any) -> QuerySet[Organisation]:
    return scoped(Organisation.objects.select_related("parent"), user)


def filter_sites(queryset: QuerySet[Site], params: Any) -> QuerySet[Site]:
    if kind := params.get("kind"):
        queryset = queryset.filter(kind=kind)
    if status := params.get("status"):
        queryset = queryset.filter(status=status)
    if area := params.get("area"):
        queryset = queryset.filter(area__code=area)
    if organisation := params.get("organisation"):
        queryset = queryset.filter(organisation__code=organisation)
    if text := (params.get("q") or "").strip():
        queryset = queryset.filter(Q(name__icontains=text) | Q(code__icontains=text) | Q(address__icontains=text))
    return queryset


def site_counts(user: Any) -> dict[str, Any]:
    sites = sites_for(user)
    return {
        "total": sites.count(),
        "by_kind": dict(sites.values_list("kind").annotate(n=Count("id")).order_by()),
        "by_status": dict(sites.values_list("status").annotate(n=Count("id")).order_by()),
    }


def enterprises_with_sites(user: Any) -> QuerySet[Organisation]:
    """The group's enterprises the user may see, each with its site count."""
    return (
        organisations_for(user)
        .filter(is_group_member=True, kind__in=["cooperative", "enterprise"])
        .annotate(site_count=Count("sites"))
        .order_by("code")
    )


def site_by_code(code: str) -> Site | None:
    return Site.objects.select_related("organisation").filter(code=code).first()


@dataclass(frozen=True)
class SiteState:
    """What a site's status was during a past span: the strictest status it had and why."""

    site: Site
    status: str
    reason: str

    @property
    def status_label(self) -> str:
        return str(SiteStatus(self.status).label)


# Strictest first: a site closed and reopened within the day reads "closed" for that day.
_SEVERITY = {SiteStatus.CLOSED: 3, SiteStatus.LOCKED_DOWN: 2, SiteStatus.UNDER_CONTROL: 1, SiteStatus.NORMAL: 0}


def sites_not_normal_during(user: Any, start: dt.datetime, end: dt.datetime) -> list[SiteState]:
    """Sites the user may see that were not normal at any moment in ``[start, end)``, from the
    status history (``SiteStatusChange``): the status a site entered the span with (the last change
    before it, else the first change's ``from``, else today's status for a site never changed) and
    every status it took inside the span."""
    sites = {site.pk: site for site in sites_for(user)}
    changes: dict[int, list[SiteStatusChange]] = {}
    for change in SiteStatusChange.objects.filter(site_id__in=list(sites)).order_by("site_id", "at", "pk"):
        changes.setdefault(change.site_id, []).append(change)
    states = []
    for site_id, site in sites.items():
        history = changes.get(site_id, [])
        before = [c for c in history if c.at < start]
        during = [c for c in history if start <= c.at < end]
        if before:
            held = [(before[-1].to_status, before[-1].reason)]
        elif history:
            held = [(history[0].from_status, "")]
        else:
            held = [(site.status, site.status_reason)]
        held += [(c.to_status, c.reason) for c in during]
        status, reason = max(held, key=lambda pair: _SEVERITY.get(SiteStatus(pair[0]), 0))
        if status != SiteStatus.NORMAL:
            states.append(SiteState(site, status, reason))
    return sorted(states, key=lambda state: state.site.code)
