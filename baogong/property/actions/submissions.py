"""Many relief applications at once (a market's merchants on one day) and many applications'
documents at once: each exactly as ``submit_application`` and ``upload_documents`` take one (the
same checks, the same refusals; one refused does not stop the others), with the reads shared and
one insert per table."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Case, CharField, Value, When
from django.db.models.functions import Cast, Concat, LPad
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import DomainError, NotFound
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import user_scope
from baogong.property import locks, queries, rules
from baogong.property.actions.relief import HELD_REASONS, _check_document, _new_application, _quote_details
from baogong.property.choices import OPEN_STATUSES, ApplicationStatus, Settlement
from baogong.property.errors import (
    ApplicationExists,
    ApplicationInvalid,
    ApplicationNotEligible,
    ApplicationWrongState,
    DocumentInvalid,
    FactsContradict,
)
from baogong.property.models import ApplicationDocument, Lease, Policy, ReliefApplication, Tenant


def _visible(actor: Actor, records: Sequence[Any]) -> set[int]:
    """The pks of ``records`` (leases or applications) the actor may see: in their scope, or of a
    tenant they follow in the tenant portal (``_require_visible`` for many, one query at most)."""
    scope = user_scope(actor)
    seen = {r.pk for r in records if scope.allows(organisation_id=r.organisation_id)}
    others = {r.tenant_id for r in records if r.pk not in seen}
    if others and getattr(actor, "is_authenticated", False):
        followed = set(Tenant.objects.filter(pk__in=others, portal_users=actor).values_list("pk", flat=True))
        seen |= {r.pk for r in records if r.tenant_id in followed}
    return seen


@retry_on_conflict
def submit_applications(
    leases: Sequence[Lease],
    *,
    as_of: dt.date,
    settlement: str = Settlement.CREDIT,
    proofs: Mapping[int, rules.Proof] | None = None,
    actor: Actor,
) -> list[ReliefApplication | DomainError]:
    """Apply for relief on many leases under the policy in force on ``as_of``: for each lease (in
    the order given) its new application, or the error ``submit_application`` refuses it with.
    The leases are locked once in pk order; the policy, the applications already there and the
    quotes are read once; the applications go in one insert (numbered as one by one: by pk) and
    their audit events in another. ``proofs`` by lease pk (none: no proof)."""
    if settlement not in Settlement.values:
        raise ApplicationInvalid(details={"settlement": [_("Choose a credit or a refund.")]})
    if not leases:
        return []
    with transaction.atomic(durable=True):
        locked = {lease.pk: lease for lease in locks.leases_for_update(lease.pk for lease in leases)}
        visible = _visible(actor, list(locked.values()))
        policy = queries.policy_in_force(as_of)
        results: dict[int, ReliefApplication | DomainError] = {}
        order = list(dict.fromkeys(lease.pk for lease in leases))  # applications numbered in the order given
        for pk in order:
            if pk not in locked or pk not in visible:
                results[pk] = NotFound()
            elif policy is None:
                results[pk] = ApplicationInvalid(details={"as_of": [_("No relief policy is in force on this date.")]})
        if policy is not None:
            waiting = [locked[pk] for pk in order if pk not in results]
            _submit(policy, waiting, results, as_of=as_of, settlement=settlement, proofs=proofs or {})
        answers: list[ReliefApplication | DomainError] = []
        given: dict[int, ReliefApplication] = {}
        for lease in leases:
            result = results[lease.pk]
            if isinstance(result, ReliefApplication) and lease.pk in given:  # the same lease twice
                result = ApplicationExists(details={"application": [given[lease.pk].number]})
            elif isinstance(result, ReliefApplication):
                given[lease.pk] = result
            answers.append(result)
        made = list(given.values())
        audit.record_many("submit_application", [audit.Entry(a, after=audit.snapshot(a)) for a in made], actor=actor)
        return answers


def _submit(
    policy: Policy,
    leases: list[Lease],
    results: dict[int, ReliefApplication | DomainError],
    *,
    as_of: dt.date,
    settlement: str,
    proofs: Mapping[int, rules.Proof],
) -> None:
    """Check and insert the applications of ``leases`` (locked, visible) under ``policy``; each
    lease's application or refusal into ``results``."""
    taken: dict[int, str] = {}
    for lease_id, number in (
        ReliefApplication.objects.filter(
            lease__in=leases,
            policy=policy,
            status__in=[*OPEN_STATUSES, ApplicationStatus.APPROVED, ApplicationStatus.RETURNED],
        )
        .order_by("lease_id", "-submitted_on", "-id")  # the model's order: the newest first
        .values_list("lease_id", "number")
    ):
        taken.setdefault(lease_id, number)
    if policy.extra_months_with_proof == 0:
        proofs = {}
    fresh = [lease for lease in leases if lease.pk not in taken]
    quotes = queries.lease_quotes(fresh, as_of=as_of, proofs=proofs, policy=policy)
    made: list[ReliefApplication] = []
    for lease in leases:
        quote = quotes.get(lease.pk)
        if lease.pk in taken:
            results[lease.pk] = ApplicationExists(details={"application": [taken[lease.pk]]})
        elif isinstance(quote, rules.FactsContradict):
            results[lease.pk] = FactsContradict.from_rules(quote.contradictions)
        elif quote is not None and {r.code for r in quote.reasons} - HELD_REASONS:
            results[lease.pk] = ApplicationNotEligible(details=_quote_details(quote))
        elif quote is not None:
            proof = proofs.get(lease.pk) or rules.Proof()
            application = _new_application(
                lease,
                policy=policy,
                settlement=settlement,
                proof=proof,
                as_of=as_of,
                quote=quote,
                number=f"~{uuid.uuid4().hex[:30]}",  # numbered by pk below
            )
            made.append(application)
            results[lease.pk] = application
    ReliefApplication.objects.bulk_create(made)
    ReliefApplication.objects.filter(pk__in=[a.pk for a in made]).update(number=_number(as_of))
    for application in made:
        application.number = f"RR{as_of:%Y%m%d}-{application.pk:05d}"


def _number(as_of: dt.date) -> Concat:
    """``submit_application``'s number, ``RR{as_of:%Y%m%d}-{pk:05d}``, as SQL for one UPDATE of
    many rows: the pk zero-padded to five digits (a longer one as it is)."""
    pk = Cast("pk", output_field=CharField())
    padded = Case(When(pk__lt=10000, then=LPad(pk, 5, Value("0"))), default=pk, output_field=CharField())
    return Concat(Value(f"RR{as_of:%Y%m%d}-"), padded, output_field=CharField())


@retry_on_conflict
def upload_documents_many(
    batch: Sequence[tuple[ReliefApplication, Sequence[tuple[str, UploadedFile]]]], *, actor: Actor
) -> list[list[ApplicationDocument] | DomainError]:
    """Attach the documents of many applications at once: for each application (in the order
    given) its stored documents, or the error ``upload_documents`` refuses them with (all of that
    application's files or none). Every file is checked first; the applications are locked once
    in pk order; the rows go in one insert and their audit events (``upload_document``) in another."""
    results: dict[int, list[ApplicationDocument] | DomainError] = {}
    for application, uploads in batch:
        try:
            if not uploads:
                raise DocumentInvalid(details={"file": [_("Choose at least one file.")]})
            for kind, upload in uploads:
                _check_document(kind, upload, "file" if len(uploads) == 1 else kind)
        except DomainError as exc:
            results[application.pk] = exc
    with transaction.atomic(durable=True):
        wanted = {a.pk for a, _u in batch if a.pk not in results}
        locked = {a.pk: a for a in locks.applications_for_update(wanted)} if wanted else {}
        visible = _visible(actor, list(locked.values()))
        documents: list[ApplicationDocument] = []
        for application, uploads in batch:
            if application.pk in results:
                continue
            owner = locked[application.pk]
            if owner.pk not in visible:
                results[owner.pk] = NotFound()
            elif owner.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED):
                message = _("Documents can be added while the application is submitted or returned.")
                results[owner.pk] = ApplicationWrongState(message)
            else:
                stored = []
                for kind, upload in uploads:
                    document = ApplicationDocument(
                        application=owner, kind=kind, original_name=(upload.name or "")[:255], size=upload.size or 0
                    )
                    document.file.save(upload.name or kind, upload, save=False)
                    stored.append(document)
                documents.extend(stored)
                results[owner.pk] = stored
        ApplicationDocument.objects.bulk_create(documents)
        audit.record_many(
            "upload_document",
            [
                audit.Entry(
                    d.application, after={"document": d.pk, "kind": d.kind, "name": d.original_name, "size": d.size}
                )
                for d in documents
            ],
            actor=actor,
        )
    return [results[a.pk] for a, _u in batch]
