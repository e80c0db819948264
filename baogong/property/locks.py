"""Ordered row locks (pk order) for the property app's actions (``docs/decisions/0003-lock-order.md``).

The order, within one transaction: the relief application acted on, then the lease, then the
lease's invoices, then its relief credits (refunds and credit notes). A payment locks its invoice
alone; a new lease (``create_lease``, or a batch of them) the units it covers, alone, before it
reads their leases. A lease ended early (``end_lease``) locks the lease, then the units it covers
(so a new lease of those units waits for the early end and sees it), before it reads its sub-leases.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from baogong.property.models import Invoice, Lease, ReliefApplication, ReliefCredit, Tenant, Unit


def application_for_update(pk: int) -> ReliefApplication:
    return ReliefApplication.objects.select_for_update().get(pk=pk)


def applications_for_update(pks: Iterable[int]) -> QuerySet[ReliefApplication]:
    return ReliefApplication.objects.select_for_update().filter(pk__in=list(pks)).order_by("pk")


def tenant_for_update(pk: int) -> Tenant:
    """A tenant whose documents are added (alone in its transaction)."""
    return Tenant.objects.select_for_update().get(pk=pk)


def lease_for_update(pk: int) -> Lease:
    return Lease.objects.select_for_update().get(pk=pk)


def leases_for_update(pks: Iterable[int]) -> QuerySet[Lease]:
    """Many leases (a batch of submissions), in pk order, with their tenants."""
    return (
        Lease.objects.select_for_update(of=("self",)).filter(pk__in=list(pks)).select_related("tenant").order_by("pk")
    )


def invoice_for_update(pk: int) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=pk)


def invoices_for_update(lease: Lease) -> list[Invoice]:
    return list(Invoice.objects.select_for_update().filter(lease=lease).order_by("pk"))


def credits_for_update(lease: Lease) -> list[ReliefCredit]:
    return list(ReliefCredit.objects.select_for_update().filter(lease=lease).order_by("pk"))


def units_for_update(pks: Iterable[int]) -> list[int]:
    """The units a new lease covers, in pk order (before the check that none is let twice): two
    leases of one unit made at once take turns, and the second sees the first."""
    return list(
        Unit.objects.select_for_update().filter(pk__in=sorted(set(pks))).order_by("pk").values_list("pk", flat=True)
    )
