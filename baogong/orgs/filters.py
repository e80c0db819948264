"""The one filter of the site list: the page and the API filter sites the same way."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from baogong.orgs.choices import SiteKind, SiteStatus
from baogong.orgs.models import Site


class SiteFilter(django_filters.FilterSet):
    """Kind, status, organisation and area (by code), exact code, and ``q``: a part of the name,
    code or address."""

    kind = django_filters.ChoiceFilter(choices=SiteKind.choices)
    status = django_filters.ChoiceFilter(choices=SiteStatus.choices)
    organisation = django_filters.CharFilter(field_name="organisation__code")
    area = django_filters.CharFilter(field_name="area__code")
    code = django_filters.CharFilter()
    q = django_filters.CharFilter(method="filter_text")

    class Meta:
        model = Site
        fields = ["kind", "status", "organisation", "area", "code", "q"]

    def filter_text(self, queryset: QuerySet[Site], name: str, value: str) -> QuerySet[Site]:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(name__icontains=text) | Q(code__icontains=text) | Q(address__icontains=text))
