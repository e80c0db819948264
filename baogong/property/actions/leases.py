"""Leases and the rent roll: create a lease, issue its invoices, record payments, set credit notes against them."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import PermissionDenied, require_text
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope
from baogong.property import locks, rules
from baogong.property.actions.tenants import _check_org
from baogong.property.choices import (
    ApplicationStatus,
    CreditKind,
    InvoiceStatus,
)
from baogong.property.errors import (
    LeaseInvalid,
    PaymentInvalid,
)
from baogong.property.models import (
    CreditAllocation,
    Invoice,
    Lease,
    Payment,
    ReliefApplication,
    RentFreePeriod,
    Unit,
)


@retry_on_conflict
def create_lease(
    data: Mapping[str, Any],
    *,
    units: Iterable[Unit],
    rent_free: Sequence[tuple[dt.date, dt.date]] = (),
    actor: Actor,
) -> Lease:
    with transaction.atomic(durable=True):
        return _create_lease(data, units=list(units), rent_free=rent_free, actor=actor)


def _lease_rule_errors(
    lease: Lease,
    units: list[Unit],
    rent_free: Sequence[tuple[dt.date, dt.date]],
    parent_units: Callable[[], set[int]],
) -> dict[str, list[str]]:
    """The lease's own rules (before the model's field checks, which skip the fields named here);
    ``parent_units()`` answers the pks of the head lease's units (asked only for a sub-lease)."""
    errors: dict[str, list[str]] = {}
    if not units:
        errors["units"] = [_("A lease covers at least one unit.")]
    if lease.start and lease.end and lease.end < lease.start:
        errors["end"] = [_("The end is before the start.")]
    for start, end in rent_free:
        if end < start:
            errors.setdefault("rent_free", []).append(_("A rent-free period ends before it starts."))
    parent = lease.parent
    if parent is not None:
        if parent.tenant_id == lease.tenant_id:
            errors["parent"] = [_("A sub-lease goes to another tenant.")]
        if units and not {u.pk for u in units} <= parent_units():
            errors["units"] = [_("A sub-lease can only cover units of its head lease.")]
        if lease.organisation_id != parent.organisation_id:
            errors["parent"] = [_("A sub-lease belongs to the same landlord organisation.")]
    elif units and any(u.property.owner_id != lease.organisation_id for u in units):
        errors["units"] = [_("A head lease covers units of the landlord's own premises.")]
    return errors


@dataclass(frozen=True)
class UnitLet:
    """A unit under a lease for a period (what a new lease on the unit must not overlap)."""

    unit_id: int
    unit_code: str
    lease_code: str
    parent_id: int | None
    start: dt.date
    end: dt.date


def units_let(unit_ids: Iterable[int]) -> list[UnitLet]:
    """Every lease of these units, one row per unit and lease (one query)."""
    rows = Lease.units.through.objects.filter(unit_id__in=list(unit_ids)).values_list(
        "unit_id", "unit__code", "lease__code", "lease__parent_id", "lease__start", "lease__end"
    )
    return [UnitLet(*row) for row in rows]


def double_let_errors(lease: Lease, units: list[Unit], let: Iterable[UnitLet]) -> dict[str, list[str]]:
    """A unit is let once at a time: a head lease may not cover a unit another head lease covers on
    any day of its period, nor a sub-lease a unit another sub-lease of the same head lease covers
    (a stall let twice would be paid rent relief twice)."""
    if not (units and lease.start and lease.end):
        return {}
    wanted = {u.pk for u in units}
    clashes = sorted(
        {
            (row.unit_code, row.lease_code)
            for row in let
            if row.unit_id in wanted
            and row.lease_code != lease.code
            and row.parent_id == lease.parent_id
            and row.start <= lease.end
            and row.end >= lease.start
        }
    )
    if not clashes:
        return {}
    return {
        "units": [
            _("Unit %(unit)s is already let under lease %(lease)s for part of this period.")
            % {"unit": unit, "lease": other}
            for unit, other in clashes
        ]
    }


def _validate_lease(lease: Lease, units: list[Unit], rent_free: Sequence[tuple[dt.date, dt.date]]) -> None:
    parent = lease.parent
    errors = _lease_rule_errors(
        lease, units, rent_free, lambda: set(parent.units.values_list("pk", flat=True)) if parent else set()
    )
    if "units" not in errors:  # the caller holds the units' locks (_create_lease)
        errors.update(double_let_errors(lease, units, units_let(u.pk for u in units)))
    try:
        lease.full_clean(exclude=[*errors, "units"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise LeaseInvalid(details=errors)


LEASE_FIELDS = ["code", "organisation", "tenant", "parent", "rent", "period_months", "start", "end", "deposit"]


def _lease_from(data: Mapping[str, Any]) -> Lease:
    """The unsaved lease ``data`` describes (a sub-lease's landlord defaults to its head lease's)."""
    lease = Lease(**{k: v for k, v in data.items() if k in LEASE_FIELDS and v is not None})
    if lease.parent is not None and not lease.organisation_id:
        lease.organisation = lease.parent.organisation
    return lease


def _create_lease(
    data: Mapping[str, Any], *, units: list[Unit], rent_free: Sequence[tuple[dt.date, dt.date]], actor: Actor
) -> Lease:
    lease = _lease_from(data)
    locks.units_for_update(u.pk for u in units)  # two leases of one unit at once: one waits, then sees the other
    _validate_lease(lease, units, rent_free)
    _check_org(lease.organisation_id, actor, LeaseInvalid)
    lease.save()
    lease.units.set(units)
    for start, end in rent_free:
        RentFreePeriod.objects.create(lease=lease, start=start, end=end)
    audit.record(
        "create_lease",
        lease,
        actor=actor,
        after={
            **audit.snapshot(lease),
            "units": [u.pk for u in units],
            "rent_free": [[s.isoformat(), e.isoformat()] for s, e in rent_free],
        },
    )
    return lease


# --- ending a lease early -----------------------------------------------------------------------
def may_end_lease(actor: Actor) -> bool:
    """Whether ``actor`` may end leases early (the permission to change leases; the landlord's
    scope is checked on the lease)."""
    if getattr(actor, "is_system", False):
        return True
    return bool(getattr(actor, "is_authenticated", False) and actor.has_perm("property.change_lease"))


@retry_on_conflict
def end_lease(lease: Lease, *, on: dt.date, reason: str, actor: Actor) -> Lease:
    """End a lease early: ``on`` is its last day (from its start to before its end; a past day is
    allowed). The contract's end is kept (``original_end``, the first one when ended again) with the
    reason; the units are free to let from the day after. Refused while a sub-lease runs past ``on``
    or approved relief covers days after it (undo those first)."""
    if not may_end_lease(actor):
        raise PermissionDenied(_("You may not end leases early."))
    reason = require_text(reason, LeaseInvalid, _("Give the reason for ending the lease early."))
    with transaction.atomic(durable=True):
        locked = locks.lease_for_update(lease.pk)
        require_scope(actor, organisation_id=locked.organisation_id)
        # a new lease of these units waits for this one, then sees the early end (lock order: lease, units)
        locks.units_for_update(Lease.units.through.objects.filter(lease=locked).values_list("unit_id", flat=True))
        errors = _end_lease_errors(locked, on)
        if errors:
            raise LeaseInvalid(details={"on": errors})
        before = {"end": locked.end, "original_end": locked.original_end, "end_reason": locked.end_reason}
        locked.original_end = locked.original_end or locked.end
        locked.end = on
        locked.end_reason = reason
        locked.save(update_fields=["end", "original_end", "end_reason", "updated_at"])
        audit.record(
            "end_lease",
            locked,
            actor=actor,
            before=before,
            after={"end": locked.end, "original_end": locked.original_end, "end_reason": locked.end_reason},
        )
        return locked


def _end_lease_errors(lease: Lease, on: dt.date) -> list[str]:
    if not lease.start <= on < lease.end:
        return [
            _("The last day must be from the start (%(start)s) to the day before the end (%(end)s).")
            % {"start": lease.start.isoformat(), "end": lease.end.isoformat()}
        ]
    errors = [
        _("Sub-lease %(lease)s runs past this day; end it first.") % {"lease": code}
        for code in lease.subleases.filter(end__gt=on).order_by("code").values_list("code", flat=True)
    ]
    if rules.covered_days_after(lease.facts(), on) > 0:
        approved = ReliefApplication.objects.filter(lease=lease, status=ApplicationStatus.APPROVED)
        errors += [
            _("Approved rent relief %(application)s covers days after this day.") % {"application": number}
            for number in approved.order_by("number").values_list("number", flat=True)
        ]
    return errors


# --- rent roll ------------------------------------------------------------------------------------
def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def lease_periods(lease: Lease, up_to: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The payment periods of the lease that start on or before ``up_to``."""
    periods: list[tuple[dt.date, dt.date]] = []
    n = 0
    while True:
        start = _add_months(lease.start, n * lease.period_months)
        if start > lease.end or start > up_to:
            return periods
        end = min(_add_months(lease.start, (n + 1) * lease.period_months) - dt.timedelta(days=1), lease.end)
        periods.append((start, end))
        n += 1


def period_rent(lease: Lease, start: dt.date, end: dt.date) -> Decimal:
    """Rent of one period: full rent, less rent-free days and a short last period, pro rata by day."""
    full_end = _add_months(start, lease.period_months) - dt.timedelta(days=1)
    full_days = (full_end - start).days + 1
    due_days = (end - start).days + 1 - _rent_free_days(lease, start, end)
    return rules.fen_half_up(Fraction(lease.rent) * due_days / full_days)


def _rent_free_days(lease: Lease, start: dt.date, end: dt.date) -> int:
    days = set()
    for period in lease.rent_free_periods.all():
        s, e = max(start, period.start), min(end, period.end)
        while s <= e:
            days.add(s)
            s += dt.timedelta(days=1)
    return len(days)


@retry_on_conflict
def issue_invoices(lease: Lease, *, up_to: dt.date, actor: Actor) -> list[Invoice]:
    """Invoice every period that starts by ``up_to`` (once), then set open credit notes against them."""
    with transaction.atomic(durable=True):
        locked = locks.lease_for_update(lease.pk)
        require_scope(actor, organisation_id=locked.organisation_id)
        existing = set(Invoice.objects.filter(lease=locked).values_list("period_start", flat=True))
        made = []
        for start, end in lease_periods(locked, up_to):
            if start in existing:
                continue
            amount = period_rent(locked, start, end)
            if amount <= 0:
                continue
            invoice = Invoice.objects.create(
                lease=locked, period_start=start, period_end=end, due_date=start, amount=amount
            )
            audit.record("issue_invoice", invoice, actor=actor, after=audit.snapshot(invoice))
            made.append(invoice)
        if made:
            _apply_open_credits(locked, actor=actor)
        return made


@retry_on_conflict
def record_payment(
    invoice: Invoice, amount: Decimal, *, paid_on: dt.date, reference: str = "", actor: Actor
) -> Payment:
    if amount <= 0:
        raise PaymentInvalid(details={"amount": [_("The amount must be more than zero.")]})
    with transaction.atomic(durable=True):
        locked = locks.invoice_for_update(invoice.pk)
        require_scope(actor, organisation_id=locked.lease.organisation_id)
        if amount > locked.outstanding:
            raise PaymentInvalid(
                details={
                    "amount": [_("More than the %(outstanding)s outstanding.") % {"outstanding": locked.outstanding}]
                }
            )
        before = {"paid": locked.paid, "status": locked.status}
        locked.paid += amount
        locked.status = InvoiceStatus.PAID if locked.outstanding == 0 else InvoiceStatus.OPEN
        locked.save(update_fields=["paid", "status", "updated_at"])
        payment = Payment.objects.create(invoice=locked, amount=amount, paid_on=paid_on, reference=reference)
        audit.record(
            "record_payment",
            locked,
            actor=actor,
            before=before,
            after={"paid": locked.paid, "status": locked.status, "payment": payment.pk, "amount": amount},
        )
        return payment


def _apply_open_credits(lease: Lease, *, actor: Actor) -> None:
    # invoices before credit notes: the one order of locks.py
    open_invoices = [i for i in locks.invoices_for_update(lease) if i.outstanding > 0]
    if not open_invoices:
        return  # nothing to set a credit against: the credit notes stay as they are
    credits = [c for c in locks.credits_for_update(lease) if c.kind == CreditKind.CREDIT_NOTE and c.remaining > 0]
    if not credits:
        return
    invoices = sorted(open_invoices, key=lambda i: (i.period_start, i.pk))
    for credit in credits:
        for invoice in invoices:
            take = min(credit.remaining, invoice.outstanding)
            if take <= 0:
                continue
            invoice.credited += take
            invoice.status = InvoiceStatus.PAID if invoice.outstanding == 0 else InvoiceStatus.OPEN
            invoice.save(update_fields=["credited", "status", "updated_at"])
            credit.applied += take
            CreditAllocation.objects.create(credit=credit, invoice=invoice, amount=take)
            audit.record(
                "apply_credit",
                invoice,
                actor=actor,
                after={"credit": credit.pk, "amount": take, "credited": invoice.credited},
            )
        credit.save(update_fields=["applied", "updated_at"])
