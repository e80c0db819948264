"""The one filter of the vehicle list: the page and the API filter vehicles the same way."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from baogong.fleet.choices import VehicleKind, VehicleStatus
from baogong.fleet.models import Vehicle


class VehicleFilter(django_filters.FilterSet):
    """Status, kind, exact plate, and ``q``: a part of the plate."""

    status = django_filters.ChoiceFilter(choices=VehicleStatus.choices)
    kind = django_filters.ChoiceFilter(choices=VehicleKind.choices)
    plate = django_filters.CharFilter()
    q = django_filters.CharFilter(method="filter_text")

    class Meta:
        model = Vehicle
        fields = ["status", "kind", "plate", "q"]

    def filter_text(self, queryset: QuerySet[Vehicle], name: str, value: str) -> QuerySet[Vehicle]:
        text = value.strip()
        return queryset.filter(plate__icontains=text) if text else queryset
