"""Relief applications: submit, documents, the review steps, approval and its settlement, top-ups, policies."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit, uploads
from baogong.core.audit import Actor
from baogong.core.errors import DomainError, require_text
from baogong.core.retry import retry_on_conflict
from baogong.orgs import duties
from baogong.orgs.choices import ApprovalKind
from baogong.property import locks, queries, rules
from baogong.property.actions.settlement import settle
from baogong.property.actions.tenants import _require_visible
from baogong.property.choices import (
    OPEN_STATUSES,
    ApplicationStatus,
    DocumentKind,
    Settlement,
)
from baogong.property.errors import (
    ApplicationExists,
    ApplicationInvalid,
    ApplicationNotEligible,
    ApplicationWrongState,
    DocumentInvalid,
    DocumentsMissing,
    FactsContradict,
)
from baogong.property.models import (
    ApplicationDocument,
    Invoice,
    Lease,
    Policy,
    ReliefApplication,
    ReliefCredit,
)

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DOCUMENT_EXTENSIONS = ("pdf", "png", "jpg", "jpeg")
HELD_REASONS = {"in_arrears", "refused_epidemic_control"}


# --- relief applications --------------------------------------------------------------------------
def _quote_details(quote: rules.Quote) -> dict[str, Any]:
    return {"reasons": [r.as_dict() for r in quote.reasons]}


def _lease_quote(lease: Lease, *, as_of: dt.date, proof: rules.Proof, policy: Policy) -> rules.Quote:
    """The lease's quote; facts that contradict each other refuse it with field errors."""
    try:
        return queries.lease_quote(lease, as_of=as_of, proof=proof, policy=policy)
    except rules.FactsContradict as exc:
        raise FactsContradict.from_rules(exc.contradictions) from None


def _store_quote(application: ReliefApplication, quote: rules.Quote) -> None:
    application.size_class = quote.size_class
    application.months = quote.months
    application.covered_days = quote.covered_days
    application.monthly_rent = quote.monthly_rent
    application.quoted_amount = quote.amount
    application.reasons = [r.as_dict() for r in quote.reasons]


def _new_application(
    lease: Lease,
    *,
    policy: Policy,
    settlement: Any,
    proof: rules.Proof,
    as_of: dt.date,
    quote: rules.Quote,
    number: str,
) -> ReliefApplication:
    """An unsaved application of ``lease`` under ``policy`` with its proof and ``quote`` (shared by
    :func:`submit_application` and the batch ``submit_applications``)."""
    application = ReliefApplication(
        number=number,
        organisation_id=lease.organisation_id,
        lease=lease,
        tenant=lease.tenant,
        policy=policy,
        settlement=settlement,
        proof_risk_area=proof.risk_area,
        proof_sealed_or_closed=proof.sealed_or_closed,
        proof_full_year_loss=proof.full_year_loss,
        submitted_on=as_of,
    )
    _store_quote(application, quote)
    return application


@retry_on_conflict
def submit_application(
    lease: Lease,
    *,
    as_of: dt.date,
    settlement: str = Settlement.CREDIT,
    proof: rules.Proof | None = None,
    actor: Actor,
) -> ReliefApplication:
    """A tenant (or an officer for it) applies for relief on a lease under the policy in force."""
    if settlement not in Settlement.values:
        raise ApplicationInvalid(details={"settlement": [_("Choose a credit or a refund.")]})
    with transaction.atomic(durable=True):
        locked = locks.lease_for_update(lease.pk)
        _require_visible(actor, organisation_id=locked.organisation_id, tenant_id=locked.tenant_id)
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
        quote = _lease_quote(locked, as_of=as_of, proof=proof, policy=policy)
        if {r.code for r in quote.reasons} - HELD_REASONS:
            raise ApplicationNotEligible(details=_quote_details(quote))
        application = _new_application(
            locked, policy=policy, settlement=settlement, proof=proof, as_of=as_of, quote=quote, number=""
        )
        application.save()
        application.number = f"RR{as_of:%Y%m%d}-{application.pk:05d}"
        application.save(update_fields=["number"])
        audit.record("submit_application", application, actor=actor, after=audit.snapshot(application))
        return application


def _file_kind(upload: UploadedFile) -> str:
    name = upload.name or ""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in DOCUMENT_EXTENSIONS:
        raise DocumentInvalid(details={"file": [_("Only PDF, PNG or JPEG files are accepted.")]})
    if not uploads.matches(upload, suffix):
        raise DocumentInvalid(details={"file": [_("The file's content does not match its type.")]})
    return suffix


def _check_document(kind: str, upload: UploadedFile, field: str) -> None:
    if kind not in DocumentKind.values:
        raise DocumentInvalid(details={"kind": [_("Unknown document kind.")]})
    if (upload.size or 0) > MAX_DOCUMENT_BYTES:
        raise DocumentInvalid(details={field: [_("The file is larger than 10 MB.")]})
    if not upload.size:
        raise DocumentInvalid(details={field: [_("The file is empty.")]})
    try:
        _file_kind(upload)
    except DocumentInvalid as exc:
        raise DocumentInvalid(details={field: exc.details["file"]}) from exc


def upload_document(
    application: ReliefApplication, kind: str, upload: UploadedFile, *, actor: Actor
) -> ApplicationDocument:
    return upload_documents(application, [(kind, upload)], actor=actor)[0]


@retry_on_conflict
def upload_documents(
    application: ReliefApplication, uploads: Sequence[tuple[str, UploadedFile]], *, actor: Actor
) -> list[ApplicationDocument]:
    """Attach several documents at once: every file is checked first, then all are stored in one
    transaction (each audited as ``upload_document``) — all or none."""
    if not uploads:
        raise DocumentInvalid(details={"file": [_("Choose at least one file.")]})
    for kind, upload in uploads:
        _check_document(kind, upload, "file" if len(uploads) == 1 else kind)
    with transaction.atomic(durable=True):
        locked = locks.application_for_update(application.pk)
        _require_visible(actor, organisation_id=locked.organisation_id, tenant_id=locked.tenant_id)
        if locked.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED):
            raise ApplicationWrongState(_("Documents can be added while the application is submitted or returned."))
        return _store_uploads(
            locked,
            uploads,
            build=lambda kind, name, size: ApplicationDocument(
                application=locked, kind=kind, original_name=name, size=size
            ),
            verb="upload_document",
            actor=actor,
        )


def _store_uploads(
    owner: Any,
    uploads: Sequence[tuple[str, UploadedFile]],
    *,
    build: Callable[[str, str, int], Any],
    verb: str,
    actor: Actor,
) -> list[Any]:
    """Store checked files inside the caller's transaction: ``build(kind, name, size)`` makes each
    unsaved document row; the rows go in one insert and their audit events (each on ``owner`` as
    ``verb``) in another."""
    documents = []
    for kind, upload in uploads:
        document = build(kind, (upload.name or "")[:255], upload.size or 0)
        document.file.save(upload.name or kind, upload, save=False)
        documents.append(document)
    if documents:
        type(documents[0]).objects.bulk_create(documents)
    audit.record_many(
        verb,
        [
            audit.Entry(owner, after={"document": d.pk, "kind": d.kind, "name": d.original_name, "size": d.size})
            for d in documents
        ],
        actor=actor,
    )
    return documents


@retry_on_conflict
def _step(
    application: ReliefApplication,
    *,
    verb: str,
    allowed: Sequence[str],
    to: str,
    actor: Actor,
    note: str = "",
    check: Callable[[ReliefApplication], dict[str, Any]] | None = None,
) -> ReliefApplication:
    with transaction.atomic(durable=True):
        locked = locks.application_for_update(application.pk)
        entry = _step_locked(locked, verb=verb, allowed=allowed, to=to, actor=actor, note=note, check=check)
        audit.record(verb, locked, actor=actor, before=entry.before, after=entry.after)
        return locked


def _step_locked(
    locked: ReliefApplication,
    *,
    verb: str,
    allowed: Sequence[str],
    to: str,
    actor: Actor,
    note: str = "",
    check: Callable[[ReliefApplication], dict[str, Any]] | None = None,
    save: bool = True,
) -> audit.Entry:
    """One review step on an application the caller has locked; answers its audit entry (recorded
    by the caller: alone, or with a batch's in one insert). ``save=False`` leaves the row to the
    caller (a batch's status changes go in one update)."""
    _require_visible(actor, organisation_id=locked.organisation_id, tenant_id=locked.tenant_id)
    if locked.status not in allowed:
        raise ApplicationWrongState(
            _("This step is not allowed while the application is %(status)s.") % {"status": locked.get_status_display()}
        )
    before = {"status": locked.status, "decision_note": locked.decision_note}
    extra = check(locked) if check is not None else {}
    user = audit.user_of(actor)
    if verb == "handle_application":
        locked.handled_by = user
    elif verb == "check_application":
        locked.checked_by = user
    locked.status = to
    locked.decision_note = note
    if to in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
        locked.decided_at = timezone.now()
    if save:
        locked.save()
    return audit.Entry(locked, before=before, after={"status": to, "decision_note": note, **(extra or {})})


class _Reads:
    """What a batch reads once for all its applications instead of once per application: the
    kinds of documents present, and (approval) the quotes. A tenant whose invoices a settlement of
    the batch changed is quoted again on its own (its arrears may have been cured)."""

    def __init__(self, applications: Sequence[ReliefApplication] = ()) -> None:
        self.present: dict[int, set[str]] = {a.pk: set() for a in applications}
        rows = ApplicationDocument.objects.filter(application__in=list(self.present)).values_list(
            "application_id", "kind"
        )
        for application_id, kind in rows if self.present else ():
            self.present[application_id].add(kind)
        self.applications = list(applications)
        self.quotes: dict[tuple[int, int], rules.Quote | rules.FactsContradict] | None = None
        self.settled_tenants: set[int] = set()
        self.limits: dict[int, dict[int, Decimal]] = {}  # approval limits by organisation
        self.groups: set[int] | None = None
        self.invoiced: set[int] | None = None  # the leases with invoices (settling makes none)
        self.events: list[audit.Entry] = []  # give_relief, recorded with the batch's events

    def settle(self, application: ReliefApplication, amount: Decimal, actor: Actor) -> list[ReliefCredit]:
        """``settle`` of an approval; in a batch, its audit events kept for one insert and a lease
        without invoices known from one read for all (no credit to set against them)."""
        if not self.applications:  # one application alone (``NO_READS``): nothing kept
            return settle(application, amount, is_top_up=False, actor=actor)
        if self.invoiced is None:
            leases = {a.lease_id for a in self.applications}
            self.invoiced = set(Invoice.objects.filter(lease__in=leases).values_list("lease_id", flat=True))
        uninvoiced = application.lease_id not in self.invoiced
        return settle(application, amount, is_top_up=False, actor=actor, events=self.events, uninvoiced=uninvoiced)

    def within_limit(self, application: ReliefApplication, amount: Decimal, actor: Actor) -> Decimal | None:
        """``duties.require_within_limit`` of the approval, the limits and roles read once a batch."""
        org, kind = application.organisation_id, ApprovalKind.RELIEF
        if not self.applications:  # one application alone (``NO_READS``): nothing kept
            return duties.require_within_limit(org, kind, amount, actor=actor)
        if org not in self.limits:
            self.limits[org] = duties.approval_limits(org, kind)
        if self.groups is None and getattr(actor, "is_authenticated", False):
            self.groups = duties.role_groups(actor)
        return duties.require_within_limit(
            org, kind, amount, actor=actor, limits=self.limits[org], group_ids=self.groups
        )

    def missing(self, application: ReliefApplication) -> list[str]:
        if application.pk not in self.present:
            return queries.missing_documents(application)
        return [k for k in queries.required_documents(application) if k not in self.present[application.pk]]

    def quote(self, application: ReliefApplication, day: dt.date) -> rules.Quote:
        if self.quotes is None and self.applications:
            self.quotes = {}
            by_policy: dict[int, list[ReliefApplication]] = {}
            for a in self.applications:
                by_policy.setdefault(a.policy_id, []).append(a)
            for group in by_policy.values():
                quoted = queries.lease_quotes(
                    [a.lease for a in group],
                    as_of=day,
                    proofs={a.lease_id: a.proof() for a in group},
                    policy=group[0].policy,
                )
                self.quotes.update({(a.policy_id, a.lease_id): quoted[a.lease_id] for a in group})
        found = (self.quotes or {}).get((application.policy_id, application.lease_id))
        if found is None or application.tenant_id in self.settled_tenants:
            return _lease_quote(application.lease, as_of=day, proof=application.proof(), policy=application.policy)
        if isinstance(found, rules.FactsContradict):
            raise FactsContradict.from_rules(found.contradictions)
        return found


NO_READS = _Reads()


def _require_documents(application: ReliefApplication, reads: _Reads = NO_READS) -> dict[str, Any]:
    missing = reads.missing(application)
    if missing:
        raise DocumentsMissing(details={"documents": missing})
    return {}


def _another_person(application: ReliefApplication, actor: Actor, *, with_checker: bool) -> dict[str, Any]:
    """Maker ≠ checker: who handled (经办) may neither check (审核) nor approve (批准); from
    ``BAOGONG_RELIEF_THREE_PERSON_FROM`` yuan who checked may not approve either. Unless the
    organisation waived it (recorded in the step's audit event)."""
    earlier: dict[str, Any] = {_("handling (经办)"): application.handled_by_id}
    if with_checker:
        earlier[_("checking (审核)")] = application.checked_by_id
    waived = duties.require_another_person(application.organisation_id, actor=actor, earlier=earlier)
    return {"one_person_waiver": True} if waived else {}


def _handle(actor: Actor, on: dt.date | None = None, reads: _Reads = NO_READS) -> dict[str, Any]:
    return {
        "verb": "handle_application",
        "allowed": [ApplicationStatus.SUBMITTED],
        "to": ApplicationStatus.HANDLED,
        "check": lambda locked: _require_documents(locked, reads),
    }


def _check(actor: Actor, on: dt.date | None = None, reads: _Reads = NO_READS) -> dict[str, Any]:
    def second_person(locked: ReliefApplication) -> dict[str, Any]:
        _require_documents(locked, reads)
        return _another_person(locked, actor, with_checker=False)

    return {
        "verb": "check_application",
        "allowed": [ApplicationStatus.HANDLED],
        "to": ApplicationStatus.CHECKED,
        "check": second_person,
    }


def _approve(actor: Actor, on: dt.date | None = None, reads: _Reads = NO_READS) -> dict[str, Any]:
    def approve(locked: ReliefApplication) -> dict[str, Any]:
        _require_documents(locked, reads)
        day = on or timezone.localdate()
        quote = reads.quote(locked, day)
        if not quote.eligible:
            raise ApplicationNotEligible(details=_quote_details(quote))
        waiver = _another_person(locked, actor, with_checker=quote.amount >= settings.BAOGONG_RELIEF_THREE_PERSON_FROM)
        limit = reads.within_limit(locked, quote.amount, actor)
        if limit is not None:
            waiver["approval_limit"] = limit
        _store_quote(locked, quote)
        locked.approved_amount = quote.amount  # saved with the step's status
        credits = reads.settle(locked, quote.amount, actor) if quote.amount > 0 else []
        if credits:
            reads.settled_tenants.add(locked.tenant_id)
        return {"approved_amount": quote.amount, "credits": [c.pk for c in credits], **waiver}

    return {
        "verb": "approve_application",
        "allowed": [ApplicationStatus.CHECKED],
        "to": ApplicationStatus.APPROVED,
        "check": approve,
    }


def handle_application(application: ReliefApplication, *, note: str = "", actor: Actor) -> ReliefApplication:
    """经办: the handler checks the documents and the quote."""
    return _step(application, note=note, actor=actor, **_handle(actor))


def check_application(application: ReliefApplication, *, note: str = "", actor: Actor) -> ReliefApplication:
    """审核: a second person checks the handler's review."""
    return _step(application, note=note, actor=actor, **_check(actor))


def approve_application(
    application: ReliefApplication, *, note: str = "", on: dt.date | None = None, actor: Actor
) -> ReliefApplication:
    """批准: re-quote (arrears cured?), fix the amount and give it as the tenant chose."""
    return _step(application, note=note, actor=actor, **_approve(actor, on))


def return_application(application: ReliefApplication, *, reason: str, actor: Actor) -> ReliefApplication:
    """退回: send back to the tenant for more documents."""
    require_text(reason, ApplicationInvalid, _("Say what is missing."))
    return _step(
        application,
        verb="return_application",
        allowed=list(OPEN_STATUSES),
        to=ApplicationStatus.RETURNED,
        note=reason.strip(),
        actor=actor,
    )


def resubmit_application(application: ReliefApplication, *, actor: Actor) -> ReliefApplication:
    return _step(
        application,
        verb="resubmit_application",
        allowed=[ApplicationStatus.RETURNED],
        to=ApplicationStatus.SUBMITTED,
        actor=actor,
    )


def reject_application(application: ReliefApplication, *, reason: str, actor: Actor) -> ReliefApplication:
    require_text(reason, ApplicationInvalid, _("Give the reason for the rejection."))
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


BATCH_SPECS: dict[str, Callable[..., dict[str, Any]]] = {"handle": _handle, "check": _check, "approve": _approve}
_STEP_FIELDS = ["status", "decision_note", "handled_by", "checked_by", "decided_at", "updated_at"]


def _save_steps(changed: list[ReliefApplication]) -> None:
    """Store a batch's 经办 or 审核: one UPDATE when every row takes the same values (the same
    status, note and reviewer: the usual case), else one bulk update."""
    now = timezone.now()
    for locked in changed:
        locked.updated_at = now
    names = [ReliefApplication._meta.get_field(f).attname for f in _STEP_FIELDS]  # type: ignore[union-attr]
    same = {name: getattr(changed[0], name) for name in names}
    if all(getattr(a, name) == value for a in changed for name, value in same.items()):
        ReliefApplication.objects.filter(pk__in=[a.pk for a in changed]).update(**same)
    else:
        ReliefApplication.objects.bulk_update(changed, _STEP_FIELDS)


@dataclass(frozen=True)
class BatchResult:
    done: list[str]
    failed: list[tuple[str, str]]


@retry_on_conflict
def batch_review(
    applications: Iterable[ReliefApplication], step: str, *, on: dt.date | None = None, actor: Actor
) -> BatchResult:
    """Take one review step on many applications in one transaction: each step exactly as its
    own action does it (the same checks; one refused leaves the others), every application locked
    once in pk order with its lease, tenant and policy. The reads the checks share (documents
    present, the approval quotes) are made once for the batch; the steps that write nothing before
    their checks pass (经办, 审核) change the statuses in one update, approval (which settles) runs
    each application in a savepoint of its own; the audit events go in one insert. Failures are
    listed. ``on``: the day approval quotes on (today by default)."""
    done: list[str] = []
    failed: list[tuple[str, str]] = []
    entries: list[audit.Entry] = []
    pks = sorted({a.pk for a in applications})
    if not pks:
        return BatchResult(done, failed)
    with transaction.atomic(durable=True):
        locked_all = list(locks.applications_for_update(pks).select_related("lease__tenant", "tenant", "policy"))
        reads = _Reads(locked_all)
        spec = BATCH_SPECS[step](actor, on, reads=reads)
        writes = step == "approve"
        changed: list[ReliefApplication] = []
        for locked in locked_all:
            settled = len(reads.events)
            try:
                with transaction.atomic() if writes else contextlib.nullcontext():
                    entries.append(_step_locked(locked, actor=actor, save=writes, **spec))
            except DomainError as exc:
                del reads.events[settled:]  # its savepoint undid them
                failed.append((locked.number, str(exc.message)))
            else:
                done.append(locked.number)
                changed.append(locked)
        if changed and not writes:
            _save_steps(changed)
        audit.record_many(spec["verb"], entries, actor=actor)
        audit.record_many("give_relief", reads.events, actor=actor)
    return BatchResult(done, failed)


@retry_on_conflict
def top_up_relief(policy: Policy, *, on: dt.date | None = None, actor: Actor) -> list[ReliefApplication]:
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
            try:
                quote = queries.lease_quote(locked.lease, as_of=day, proof=locked.proof(), policy=policy)
            except rules.FactsContradict:
                continue  # its tenant's facts contradict each other: no top-up until corrected
            difference = rules.top_up_difference(locked.total_relief, quote)
            if difference <= 0:
                continue
            before = {"topped_up_amount": locked.topped_up_amount}
            locked.topped_up_amount += difference
            locked.save(update_fields=["topped_up_amount", "updated_at"])
            credits = settle(locked, difference, is_top_up=True, actor=actor)
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
