"""Reads of organisations and sites shared by views, the API and reports."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from baogong.core.scoping import scoped
from baogong.orgs.filters import SiteFilter
from baogong.orgs.models import Organisation, Site


def sites_for(user: Any) -> QuerySet[Site]:
    return scoped(Site.objects.select_related("organisation", "area"), user)


def organisations_for(user: Any) -> QuerySet[Organisation]:
    return scoped(Organisation.objects.select_related("parent"), user)


def filter_sites(queryset: QuerySet[Site], params: Any) -> QuerySet[Site]:
    return SiteFilter(params, queryset=queryset).qs


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
