"""Reads shared by views, API and reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from baogong.core.scoping import scoped
from baogong.procurement.models import ProcurementPolicy, Supplier, SupplierLicence


def suppliers_for(user: Any) -> QuerySet[Supplier]:
    return scoped(Supplier.objects.select_related("organisation", "status_decided_by"), user)


def filter_suppliers(queryset: QuerySet[Supplier], params: Any) -> QuerySet[Supplier]:
    if q := (params.get("q") or "").strip():
        from django.db.models import Q

        queryset = queryset.filter(Q(name__icontains=q) | Q(uscc__icontains=q.upper()))
    if status := params.get("status"):
        queryset = queryset.filter(status=status)
    return queryset


def policy_for(organisation_id: int | None) -> ProcurementPolicy:
    """The organisation's policy, else the group default, else the built-in defaults (30%, 30 days)."""
    policy = None
    if organisation_id is not None:
        policy = ProcurementPolicy.objects.filter(organisation_id=organisation_id).first()
    if policy is None:
        policy = ProcurementPolicy.objects.filter(organisation__isnull=True).first()
    return policy or ProcurementPolicy()


def expiring_licences(
    user: Any, *, within_days: int | None = None, on: dt.date | None = None
) -> QuerySet[SupplierLicence]:
    """Licences of the user's suppliers that expire within the alert window (or have expired)."""
    day = on or timezone.localdate()
    days = within_days if within_days is not None else policy_for(None).licence_alert_days
    return scoped(
        SupplierLicence.objects.select_related("supplier", "supplier__organisation").filter(
            expires_on__isnull=False, expires_on__lte=day + dt.timedelta(days=days)
        ),
        user,
    ).order_by("expires_on", "pk")
