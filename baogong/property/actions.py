"""Every state change of premises, tenants, leases, the rent roll and relief applications."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.errors import DomainError
from baogong.core.excel import (
    Column,
    ImportFailed,
    normalise_text,
    parse_date,
    parse_decimal,
    parse_int,
    raise_if_errors,
    read_rows,
)
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import user_scope
from baogong.property import locks, queries, rules
from baogong.property.choices import (
    OPEN_STATUSES,
    ApplicationStatus,
    CreditKind,
    DocumentKind,
    InvoiceStatus,
    Settlement,
)
from baogong.property.errors import (
    ApplicationExists,
    ApplicationInvalid,
    ApplicationNotEligible,
    ApplicationWrongState,
    DocumentInvalid,
    DocumentsMissing,
    LeaseInvalid,
    PaymentInvalid,
    TenantInvalid,
)
from baogong.property.models import (
    ZERO,
    ApplicationDocument,
    CreditAllocation,
    Invoice,
    Lease,
    Payment,
    Policy,
    Property,
    ReliefApplication,
    ReliefCredit,
    RentFreePeriod,
    Tenant,
    Unit,
)

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DOCUMENT_SIGNATURES = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
}
HELD_REASONS = {"in_arrears", "refused_epidemic_control"}


def _full_clean(obj: Any, error: type[DomainError], **kwargs: Any) -> None:
    try:
        obj.full_clean(**kwargs)
    except ValidationError as exc:
        raise error(details=exc.message_dict) from exc


def _check_org(organisation_id: int, actor: Any, error: type[DomainError]) -> None:
    if not user_scope(actor).allows(organisation_id=organisation_id):
        raise error(details={"organisation": [_("Not one of your organisations.")]})


# --- premises, tenants, leases ------------------------------------------------------------------
PROPERTY_FIELDS = ["code", "name", "owner", "address", "area", "use", "is_state_owned"]
TENANT_FIELDS = [
    "organisation",
    "code",
    "name",
    "kind",
    "uscc",
    "operator_name",
    "operator_id_number",
    "industry",
    "employees",
    "revenue_wan",
    "assets_wan",
    "is_state_owned",
    "is_subsidiary_of_large_group",
    "refused_epidemic_control",
    "contact_name",
    "contact_phone",
]


@retry_on_conflict
def create_property(data: Mapping[str, Any], units: Sequence[Mapping[str, Any]] = (), *, actor: Any) -> Property:
    with transaction.atomic(durable=True):
        return _create_property(data, units, actor=actor)


def _create_property(data: Mapping[str, Any], units: Sequence[Mapping[str, Any]], *, actor: Any) -> Property:
    prop = Property(**{k: v for k, v in data.items() if k in PROPERTY_FIELDS})
    _full_clean(prop, LeaseInvalid)
    _check_org(prop.owner_id, actor, LeaseInvalid)
    prop.save()
    for values in units:
        unit = Unit(property=prop, **values)
        _full_clean(unit, LeaseInvalid)
        unit.save()
    audit.record(
        "create_property",
        prop,
        actor=actor,
        after={**audit.snapshot(prop), "units": [dict(u) for u in units]},
    )
    return prop


def _validate_tenant(tenant: Tenant) -> None:
    errors: dict[str, list[str]] = {}
    if tenant.kind == rules.ENTERPRISE:
        if not tenant.uscc:
            errors["uscc"] = [_("An enterprise needs its unified social credit code.")]
        if not tenant.industry:
            errors["industry"] = [_("An enterprise needs its industry for the size classification.")]
        else:
            for key in rules.required_indicators(tenant.industry):
                if getattr(tenant, key) is None:
                    errors[key] = [_("Needed for the size classification of this industry.")]
    elif tenant.kind == rules.INDIVIDUAL_BUSINESS:
        if not tenant.operator_id_number:
            errors["operator_id_number"] = [_("An individual business needs its operator's ID number.")]
        if not tenant.operator_name:
            errors["operator_name"] = [_("An individual business needs its operator's name.")]
    try:
        tenant.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise TenantInvalid(details=errors)


@retry_on_conflict
def create_tenant(data: Mapping[str, Any], *, actor: Any) -> Tenant:
    with transaction.atomic(durable=True):
        return _create_tenant(data, actor=actor)


def _create_tenant(data: Mapping[str, Any], *, actor: Any) -> Tenant:
    values = {k: v for k, v in data.items() if k in TENANT_FIELDS}
    for key in ("uscc", "operator_id_number"):
        if values.get(key):
            values[key] = str(values[key]).strip().upper()
    tenant = Tenant(**values)
    _validate_tenant(tenant)
    _check_org(tenant.organisation_id, actor, TenantInvalid)
    tenant.save()
    audit.record("create_tenant", tenant, actor=actor, after=audit.snapshot(tenant))
    return tenant


@retry_on_conflict
def link_portal_user(tenant: Tenant, user: Any, *, actor: Any) -> Tenant:
    """Let ``user`` follow this tenant's leases and applications in the tenant portal."""
    with transaction.atomic(durable=True):
        tenant.portal_users.add(user)
        audit.record("link_portal_user", tenant, actor=actor, after={"user": user.pk, "username": user.get_username()})
    return tenant


@retry_on_conflict
def create_lease(
    data: Mapping[str, Any],
    *,
    units: Iterable[Unit],
    rent_free: Sequence[tuple[dt.date, dt.date]] = (),
    actor: Any,
) -> Lease:
    with transaction.atomic(durable=True):
        return _create_lease(data, units=list(units), rent_free=rent_free, actor=actor)


def _validate_lease(lease: Lease, units: list[Unit], rent_free: Sequence[tuple[dt.date, dt.date]]) -> None:
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
        if units and not {u.pk for u in units} <= set(parent.units.values_list("pk", flat=True)):
            errors["units"] = [_("A sub-lease can only cover units of its head lease.")]
        if lease.organisation_id != parent.organisation_id:
            errors["parent"] = [_("A sub-lease belongs to the same landlord organisation.")]
    elif units and any(u.property.owner_id != lease.organisation_id for u in units):
        errors["units"] = [_("A head lease covers units of the landlord's own premises.")]
    try:
        lease.full_clean(exclude=[*errors, "units"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise LeaseInvalid(details=errors)


def _create_lease(
    data: Mapping[str, Any], *, units: list[Unit], rent_free: Sequence[tuple[dt.date, dt.date]], actor: Any
) -> Lease:
    fields = ["code", "organisation", "tenant", "parent", "rent", "period_months", "start", "end", "deposit"]
    lease = Lease(**{k: v for k, v in data.items() if k in fields and v is not None})
    if lease.parent is not None and not lease.organisation_id:
        lease.organisation = lease.parent.organisation
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
def issue_invoices(lease: Lease, *, up_to: dt.date, actor: Any) -> list[Invoice]:
    """Invoice every period that starts by ``up_to`` (once), then set open credit notes against them."""
    with transaction.atomic(durable=True):
        locked = locks.lease_for_update(lease.pk)
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
def record_payment(invoice: Invoice, amount: Decimal, *, paid_on: dt.date, reference: str = "", actor: Any) -> Payment:
    if amount <= 0:
        raise PaymentInvalid(details={"amount": [_("The amount must be more than zero.")]})
    with transaction.atomic(durable=True):
        locked = locks.invoice_for_update(invoice.pk)
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


def _apply_open_credits(lease: Lease, *, actor: Any) -> None:
    # invoices before credit notes: the one order of locks.py
    open_invoices = [i for i in locks.invoices_for_update(lease) if i.outstanding > 0]
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


def _settle(application: ReliefApplication, amount: Decimal, *, is_top_up: bool, actor: Any) -> list[ReliefCredit]:
    """Give ``amount``: refund paid rent first if the tenant chose refunds; the rest as a credit note."""
    lease = application.lease
    made: list[ReliefCredit] = []
    left = amount
    if application.settlement == Settlement.REFUND:
        invoices = sorted((i for i in locks.invoices_for_update(lease) if i.paid > 0), key=lambda i: i.period_start)
        refund = ReliefCredit(application=application, lease=lease, kind=CreditKind.REFUND, is_top_up=is_top_up)
        parts: list[tuple[Invoice, Decimal]] = []
        for invoice in invoices:
            take = min(left, invoice.paid)
            if take <= 0:
                continue
            invoice.paid -= take
            invoice.credited += take
            invoice.save(update_fields=["paid", "credited", "updated_at"])
            parts.append((invoice, take))
            left -= take
        if parts:
            refund.amount = refund.applied = sum((p[1] for p in parts), ZERO)
            refund.save()
            CreditAllocation.objects.bulk_create(
                CreditAllocation(credit=refund, invoice=i, amount=take) for i, take in parts
            )
            made.append(refund)
    if left > 0:
        note = ReliefCredit.objects.create(
            application=application, lease=lease, kind=CreditKind.CREDIT_NOTE, amount=left, is_top_up=is_top_up
        )
        made.append(note)
        _apply_open_credits(lease, actor=actor)
    for credit in made:
        credit.refresh_from_db()
        audit.record(
            "give_relief",
            credit,
            actor=actor,
            after={"kind": credit.kind, "amount": credit.amount, "applied": credit.applied, "top_up": is_top_up},
            organisation_id=application.organisation_id,
        )
    return made


# --- relief applications --------------------------------------------------------------------------
def _quote_details(quote: rules.Quote) -> dict[str, Any]:
    return {"reasons": [r.as_dict() for r in quote.reasons]}


def _store_quote(application: ReliefApplication, quote: rules.Quote) -> None:
    application.size_class = quote.size_class
    application.months = quote.months
    application.covered_days = quote.covered_days
    application.monthly_rent = quote.monthly_rent
    application.quoted_amount = quote.amount
    application.reasons = [r.as_dict() for r in quote.reasons]


@retry_on_conflict
def submit_application(
    lease: Lease,
    *,
    as_of: dt.date,
    settlement: str = Settlement.CREDIT,
    proof: rules.Proof | None = None,
    actor: Any,
) -> ReliefApplication:
    """A tenant (or an officer for it) applies for relief on a lease under the policy in force."""
    if settlement not in Settlement.values:
        raise ApplicationInvalid(details={"settlement": [_("Choose a credit or a refund.")]})
    with transaction.atomic(durable=True):
        locked = locks.lease_for_update(lease.pk)
        policy = queries.policy_in_force(as_of)
        if policy is None:
            raise ApplicationInvalid(details={"as_of": [_("No relief policy is in force on this date.")]})
        if proof is None or policy.extra_months_with_proof == 0:
            proof = rules.Proof()
        taken = ReliefApplication.objects.filter(
            lease=locked,
            policy=policy,
            status__in=[*OPEN_STATUSES, ApplicationStatus.APPROVED, ApplicationStatus.RETURNED],
        )
        if taken.exists():
            raise ApplicationExists(details={"application": [taken.first().number]})  # type: ignore[union-attr]
        quote = queries.lease_quote(locked, as_of=as_of, proof=proof, policy=policy)
        if {r.code for r in quote.reasons} - HELD_REASONS:
            raise ApplicationNotEligible(details=_quote_details(quote))
        application = ReliefApplication(
            number="",
            organisation_id=locked.organisation_id,
            lease=locked,
            tenant=locked.tenant,
            policy=policy,
            settlement=settlement,
            proof_risk_area=proof.risk_area,
            proof_sealed_or_closed=proof.sealed_or_closed,
            proof_full_year_loss=proof.full_year_loss,
            submitted_on=as_of,
        )
        _store_quote(application, quote)
        application.save()
        application.number = f"RR{as_of:%Y%m%d}-{application.pk:05d}"
        application.save(update_fields=["number"])
        audit.record("submit_application", application, actor=actor, after=audit.snapshot(application))
        return application


def _file_kind(upload: UploadedFile) -> str:
    name = upload.name or ""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in DOCUMENT_SIGNATURES:
        raise DocumentInvalid(details={"file": [_("Only PDF, PNG or JPEG files are accepted.")]})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in DOCUMENT_SIGNATURES[suffix]):
        raise DocumentInvalid(details={"file": [_("The file's content does not match its type.")]})
    return suffix


@retry_on_conflict
def upload_document(
    application: ReliefApplication, kind: str, upload: UploadedFile, *, actor: Any
) -> ApplicationDocument:
    if kind not in DocumentKind.values:
        raise DocumentInvalid(details={"kind": [_("Unknown document kind.")]})
    if (upload.size or 0) > MAX_DOCUMENT_BYTES:
        raise DocumentInvalid(details={"file": [_("The file is larger than 10 MB.")]})
    if not upload.size:
        raise DocumentInvalid(details={"file": [_("The file is empty.")]})
    _file_kind(upload)
    with transaction.atomic(durable=True):
        locked = locks.application_for_update(application.pk)
        if locked.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED):
            raise ApplicationWrongState(_("Documents can be added while the application is submitted or returned."))
        document = ApplicationDocument(
            application=locked, kind=kind, original_name=(upload.name or "")[:255], size=upload.size
        )
        document.file.save(upload.name or kind, upload, save=False)
        document.save()
        audit.record(
            "upload_document",
            locked,
            actor=actor,
            after={"document": document.pk, "kind": kind, "name": document.original_name, "size": document.size},
        )
        return document


@retry_on_conflict
def _step(
    application: ReliefApplication,
    *,
    verb: str,
    allowed: Sequence[str],
    to: str,
    actor: Any,
    note: str = "",
    check: Callable[[ReliefApplication], dict[str, Any]] | None = None,
) -> ReliefApplication:
    with transaction.atomic(durable=True):
        locked = locks.application_for_update(application.pk)
        if locked.status not in allowed:
            raise ApplicationWrongState(
                _("This step is not allowed while the application is %(status)s.")
                % {"status": locked.get_status_display()}
            )
        before = {"status": locked.status, "decision_note": locked.decision_note}
        extra = check(locked) if check is not None else {}
        locked.status = to
        locked.decision_note = note
        if to in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
            locked.decided_at = timezone.now()
        locked.save()
        audit.record(
            verb, locked, actor=actor, before=before, after={"status": to, "decision_note": note, **(extra or {})}
        )
        return locked


def _require_documents(application: ReliefApplication) -> dict[str, Any]:
    missing = queries.missing_documents(application)
    if missing:
        raise DocumentsMissing(details={"documents": missing})
    return {}


def handle_application(application: ReliefApplication, *, note: str = "", actor: Any) -> ReliefApplication:
    """经办: the handler checks the documents and the quote."""
    return _step(
        application,
        verb="handle_application",
        allowed=[ApplicationStatus.SUBMITTED],
        to=ApplicationStatus.HANDLED,
        note=note,
        actor=actor,
        check=_require_documents,
    )


def check_application(application: ReliefApplication, *, note: str = "", actor: Any) -> ReliefApplication:
    """审核: a second person checks the handler's review."""
    return _step(
        application,
        verb="check_application",
        allowed=[ApplicationStatus.HANDLED],
        to=ApplicationStatus.CHECKED,
        note=note,
        actor=actor,
        check=_require_documents,
    )


def approve_application(
    application: ReliefApplication, *, note: str = "", on: dt.date | None = None, actor: Any
) -> ReliefApplication:
    """批准: re-quote (arrears cured?), fix the amount and give it as the tenant chose."""

    def approve(locked: ReliefApplication) -> dict[str, Any]:
        _require_documents(locked)
        day = on or timezone.localdate()
        quote = queries.lease_quote(locked.lease, as_of=day, proof=locked.proof(), policy=locked.policy)
        if not quote.eligible:
            raise ApplicationNotEligible(details=_quote_details(quote))
        _store_quote(locked, quote)
        locked.approved_amount = quote.amount
        locked.save()
        credits = _settle(locked, quote.amount, is_top_up=False, actor=actor) if quote.amount > 0 else []
        return {"approved_amount": quote.amount, "credits": [c.pk for c in credits]}

    return _step(
        application,
        verb="approve_application",
        allowed=[ApplicationStatus.CHECKED],
        to=ApplicationStatus.APPROVED,
        note=note,
        actor=actor,
        check=approve,
    )


def return_application(application: ReliefApplication, *, reason: str, actor: Any) -> ReliefApplication:
    """退回: send back to the tenant for more documents."""
    if not reason.strip():
        raise ApplicationInvalid(details={"reason": [_("Say what is missing.")]})
    return _step(
        application,
        verb="return_application",
        allowed=list(OPEN_STATUSES),
        to=ApplicationStatus.RETURNED,
        note=reason.strip(),
        actor=actor,
    )


def resubmit_application(application: ReliefApplication, *, actor: Any) -> ReliefApplication:
    return _step(
        application,
        verb="resubmit_application",
        allowed=[ApplicationStatus.RETURNED],
        to=ApplicationStatus.SUBMITTED,
        actor=actor,
    )


def reject_application(application: ReliefApplication, *, reason: str, actor: Any) -> ReliefApplication:
    if not reason.strip():
        raise ApplicationInvalid(details={"reason": [_("Give the reason for the rejection.")]})
    return _step(
        application,
        verb="reject_application",
        allowed=list(OPEN_STATUSES),
        to=ApplicationStatus.REJECTED,
        note=reason.strip(),
        actor=actor,
    )


BATCH_STEPS: dict[str, Callable[..., ReliefApplication]] = {
    "handle": handle_application,
    "check": check_application,
    "approve": approve_application,
}


@dataclass(frozen=True)
class BatchResult:
    done: list[str]
    failed: list[tuple[str, str]]


def batch_review(applications: Iterable[ReliefApplication], step: str, *, actor: Any) -> BatchResult:
    """Take one review step on many applications; each is its own action, failures are listed."""
    action = BATCH_STEPS[step]
    done: list[str] = []
    failed: list[tuple[str, str]] = []
    for application in sorted(applications, key=lambda a: a.pk):
        try:
            action(application, actor=actor)
        except DomainError as exc:
            failed.append((application.number, str(exc.message)))
        else:
            done.append(application.number)
    return BatchResult(done, failed)


@retry_on_conflict
def top_up_relief(policy: Policy, *, on: dt.date | None = None, actor: Any) -> list[ReliefApplication]:
    """A later, more generous policy: give every approved application the difference."""
    topped: list[ReliefApplication] = []
    ids = list(
        ReliefApplication.objects.filter(status=ApplicationStatus.APPROVED)
        .exclude(policy=policy)
        .filter(policy__effective_from__lt=policy.effective_from)
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    for pk in ids:
        with transaction.atomic(durable=True):
            locked = locks.application_for_update(pk)
            day = on or timezone.localdate()
            quote = queries.lease_quote(locked.lease, as_of=day, proof=locked.proof(), policy=policy)
            difference = rules.top_up_difference(locked.total_relief, quote)
            if difference <= 0:
                continue
            before = {"topped_up_amount": locked.topped_up_amount}
            locked.topped_up_amount += difference
            locked.save(update_fields=["topped_up_amount", "updated_at"])
            credits = _settle(locked, difference, is_top_up=True, actor=actor)
            audit.record(
                "top_up_relief",
                locked,
                actor=actor,
                before=before,
                after={
                    "policy": policy.code,
                    "difference": difference,
                    "topped_up_amount": locked.topped_up_amount,
                    "credits": [c.pk for c in credits],
                },
            )
            topped.append(locked)
    return topped


# --- Excel import of tenants and leases -------------------------------------------------------------
def _yes(value: Any) -> bool:
    text = normalise_text(value).lower()
    if text in ("是", "y", "yes", "true", "1"):
        return True
    if text in ("否", "n", "no", "false", "0", ""):
        return False
    raise ValueError(_("answer 是 or 否"))


def _tenant_kind(value: Any) -> str:
    text = normalise_text(value)
    mapping = {"企业": rules.ENTERPRISE, "个体工商户": rules.INDIVIDUAL_BUSINESS}
    if text in rules.TENANT_TYPES:
        return text
    if text in mapping:
        return mapping[text]
    raise ValueError(_("企业 or 个体工商户"))


def _industry(value: Any) -> str:
    text = normalise_text(value)
    if text not in rules.INDUSTRIES:
        raise ValueError(_("unknown industry"))
    return text


def _period(value: Any) -> int:
    months = parse_int(value)
    if months not in rules.PERIOD_MONTHS:
        raise ValueError(_("1, 3, 6 or 12"))
    return months


def _rent_free(value: Any) -> list[tuple[dt.date, dt.date]]:
    spans = []
    for part in normalise_text(value).replace("；", ";").split(";"):
        if not part.strip():
            continue
        pieces = part.replace("～", "~").split("~")
        if len(pieces) != 2:
            raise ValueError(_("periods as YYYY-MM-DD~YYYY-MM-DD; separated by ;"))
        start, end = parse_date(pieces[0]), parse_date(pieces[1])
        if end < start:
            raise ValueError(_("a rent-free period ends before it starts"))
        spans.append((start, end))
    return spans


def _money(value: Any) -> Decimal:
    amount = parse_decimal(value)
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("an amount in yuan with at most 2 decimals"))
    return amount


LEASE_COLUMNS = [
    Column("tenant_code", "租户编码 / tenant code", required=True, example="T-BY-001"),
    Column("tenant_name", "租户名称 / tenant name", required=True, example="上海宝山小超市有限公司"),
    Column("kind", "类型 / kind (企业/个体工商户)", required=True, parse=_tenant_kind, example="企业"),
    Column("uscc", "统一社会信用代码 / USCC", example="91310113MA1G00011J"),
    Column("operator_name", "经营者 / operator", example=""),
    Column("operator_id_number", "经营者身份证号 / operator ID", example=""),
    Column("industry", "行业 / industry", parse=_industry, example="零售业"),
    Column("employees", "从业人员 / employees", parse=parse_int, example="12"),
    Column("revenue_wan", "营业收入(万元) / revenue (10k yuan)", parse=parse_decimal, example="150"),
    Column("assets_wan", "资产总额(万元) / assets (10k yuan)", parse=parse_decimal, example="80"),
    Column("is_state_owned", "国有企业 / state-owned (是/否)", parse=_yes, example="否"),
    Column("is_subsidiary_of_large_group", "大中型集团下属 / group subsidiary (是/否)", parse=_yes, example="否"),
    Column("contact_name", "联系人 / contact", example="张三"),
    Column("contact_phone", "联系电话 / phone", example="13800000000"),
    Column("lease_code", "合同编号 / lease code", required=True, example="L-BY-001"),
    Column("property_code", "房产编码 / property code", required=True, example="P-BY-01"),
    Column("units", "房屋单元 / units (逗号分隔)", required=True, example="101"),
    Column("parent_lease", "转租自合同 / sub-let from lease", example=""),
    Column("rent", "每期租金(元) / rent per period", required=True, parse=_money, example="30000.00"),
    Column("period_months", "付款周期(月) / period (months)", required=True, parse=_period, example="3"),
    Column("start", "起租日 / start", required=True, parse=parse_date, example="2022-01-01"),
    Column("end", "到期日 / end", required=True, parse=parse_date, example="2024-12-31"),
    Column("deposit", "押金(元) / deposit", parse=_money, example="10000.00"),
    Column("rent_free", "免租期 / rent-free (起~止;…)", parse=_rent_free, example="2022-01-01~2022-01-31"),
]
TENANT_IMPORT_FIELDS = [
    "kind",
    "uscc",
    "operator_name",
    "operator_id_number",
    "industry",
    "employees",
    "revenue_wan",
    "assets_wan",
    "is_state_owned",
    "is_subsidiary_of_large_group",
    "contact_name",
    "contact_phone",
]


def _flatten(details: Any) -> list[tuple[str, str]]:
    if isinstance(details, dict):
        return [(str(k), "; ".join(str(m) for m in (v if isinstance(v, list) else [v]))) for k, v in details.items()]
    return [("", str(details))]


@retry_on_conflict
def import_leases(file: Any, *, actor: Any) -> list[Lease]:
    """Tenants and leases from a workbook: every row valid, or nothing is written."""
    rows, errors = read_rows(file, LEASE_COLUMNS)
    unreadable = {e["row"] for e in errors}
    if not rows:
        raise ImportFailed(_("The file has no data rows."), details={"rows": []})
    scope = user_scope(actor)
    properties = {p.code: p for p in Property.objects.filter(code__in={v.get("property_code") for _n, v in rows})}
    made: list[Lease] = []
    with transaction.atomic(durable=True):
        tenants: dict[str, Tenant] = {
            t.code: t for t in Tenant.objects.filter(code__in={v.get("tenant_code") for _n, v in rows})
        }
        leases: dict[str, Lease] = {}
        for number, values in rows:
            if not values.get("property_code"):
                continue
            prop = properties.get(values["property_code"])
            if prop is None:
                errors.append({"row": number, "field": "property_code", "message": _("unknown property code")})
                continue
            if not scope.allows(organisation_id=prop.owner_id):
                errors.append({"row": number, "field": "property_code", "message": _("not one of your organisations")})
                continue
            if number in unreadable:
                continue
            tenant = tenants.get(values["tenant_code"])
            try:
                if tenant is None:
                    data = {k: values[k] for k in TENANT_IMPORT_FIELDS if values.get(k) is not None}
                    tenant = _create_tenant(
                        {
                            **data,
                            "organisation": prop.owner,
                            "code": values["tenant_code"],
                            "name": values["tenant_name"],
                        },
                        actor=actor,
                    )
                    tenants[tenant.code] = tenant
                elif not scope.allows(organisation_id=tenant.organisation_id):
                    raise TenantInvalid(details={"tenant_code": [_("code belongs to a tenant outside your scope")]})
                codes = [c.strip() for c in str(values["units"]).replace("，", ",").split(",") if c.strip()]
                units = list(prop.units.filter(code__in=codes))
                if len(units) != len(set(codes)):
                    raise LeaseInvalid(details={"units": [_("unknown unit of this property")]})
                parent = None
                if values.get("parent_lease"):
                    parent = (
                        leases.get(values["parent_lease"])
                        or Lease.objects.filter(code=values["parent_lease"], organisation=prop.owner).first()
                    )
                    if parent is None:
                        raise LeaseInvalid(details={"parent_lease": [_("unknown lease code")]})
                lease = _create_lease(
                    {
                        "code": values["lease_code"],
                        "organisation": prop.owner,
                        "tenant": tenant,
                        "parent": parent,
                        "rent": values["rent"],
                        "period_months": values["period_months"],
                        "start": values["start"],
                        "end": values["end"],
                        "deposit": values.get("deposit") or ZERO,
                    },
                    units=units,
                    rent_free=values.get("rent_free") or [],
                    actor=actor,
                )
            except DomainError as exc:
                for field, message in _flatten(exc.details):
                    errors.append({"row": number, "field": field, "message": message})
                continue
            leases[lease.code] = lease
            made.append(lease)
        errors.sort(key=lambda e: (e["row"], str(e["field"])))
        raise_if_errors(errors)
    return made


# --- policies ---------------------------------------------------------------------------------------
DEFAULT_DOCUMENTS = {
    "sh-2022-03": "application,legal_rep_id,business_licence,lease,size_proof,proof",
    "sh-2022-05": "application,legal_rep_id,business_licence,lease,size_proof",
}


@retry_on_conflict
def load_default_policies(*, actor: Any) -> list[Policy]:
    """The two Shanghai 2022 policies, created if missing (the data migration seeds them too)."""
    made = []
    with transaction.atomic(durable=True):
        for terms in rules.DEFAULT_POLICIES:
            if Policy.objects.filter(code=terms.code).exists():
                continue
            policy = Policy.objects.create(
                code=terms.code,
                name=terms.name,
                effective_from=terms.effective_from,
                effective_to=terms.effective_to,
                base_months=terms.base_months,
                extra_months_with_proof=terms.extra_months_with_proof,
                documents=DEFAULT_DOCUMENTS[terms.code],
            )
            audit.record("load_default_policies", policy, actor=actor, after=audit.snapshot(policy))
            made.append(policy)
    return made
