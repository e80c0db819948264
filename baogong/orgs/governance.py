"""Maker ≠ checker for prices and policies.

A change to a governed field (an item's reference price, the procurement rules, relief and
insurance policies, fee schedules, QC rules, approval limits …) is not saved by the person who
makes it: it becomes a :class:`~baogong.orgs.models.ChangeRequest` that another person with
``orgs.decide_changerequest`` in the same scope approves (then it is applied, in the same
transaction) or rejects; the maker may withdraw it. An organisation that waived the separation
of duties (``allows_one_person_approval``) lets its maker approve, and the approval says so.

Apps name their governed models in a ``governance.py`` module (``GOVERNED``, a list of
:class:`Governed`), read through the app registry, so this module imports no app above it.
The system actor (the replay, migrations, demo data) changes prices and policies directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import Conflict, InvalidTransition, PermissionDenied
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope
from baogong.orgs import duties, locks
from baogong.orgs.choices import ChangeStatus
from baogong.orgs.errors import ChangeInvalid
from baogong.orgs.models import ChangeRequest

# apply(change, record or None for a new one, values by attname, actor) → the saved record;
# runs inside the approval's transaction and must lock what it changes through its app's locks.
Applier = Callable[[ChangeRequest, models.Model | None, dict[str, Any], Actor], models.Model]


@dataclass(frozen=True)
class Governed:
    model: type[models.Model]
    fields: tuple[str, ...]
    apply: Applier | None = None
    # A new record is itself a change (a policy) — or only later changes of ``fields`` are (an
    # item's price: a new item comes with its first price, audited as it is created).
    new_records: bool = True

    def organisation_id(self, record: models.Model | None) -> int | None:
        scope = getattr(record, "audit_scope", None) if record is not None else None
        return scope()[0] if scope is not None else None


def registry() -> dict[str, Governed]:
    from baogong.registry import collect

    return {entry.model._meta.label_lower: entry for entry in collect("governance", "GOVERNED")}


def governed(model: type[models.Model]) -> Governed | None:
    return registry().get(model._meta.label_lower)


def is_person(actor: Actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


# --- proposing --------------------------------------------------------------------------------
def propose(
    record: models.Model | None,
    changes: Mapping[str, Any],
    *,
    actor: Actor,
    model: Any = None,
    reason: str = "",
    organisation_id: int | None = None,
) -> ChangeRequest:
    """In the caller's transaction: record ``changes`` (field name → new value) to ``record`` (or
    a new ``model`` record) as a change waiting for another person. The values are checked as the
    model would check them; nothing is changed yet."""
    model = model or type(record)
    entry = governed(model)
    if entry is None:
        raise ChangeInvalid(_("This record is not governed by approvals."))
    related = {n: v for n, v in changes.items() if model._meta.get_field(n).many_to_many}
    candidate = _candidate(model, record, {n: v for n, v in changes.items() if n not in related})
    names = [name for name in changes if (name in entry.fields or record is None) and name not in related]
    fields: list[Any] = [model._meta.get_field(name) for name in names]
    before = {f.attname: _json(f, getattr(record, f.attname)) for f in fields} if record is not None else {}
    after = {f.attname: _json(f, getattr(candidate, f.attname)) for f in fields}
    for name, value in related.items():  # many-to-many (the approvers of a level): sorted ids
        if record is not None and name in entry.fields:
            before[name] = _related_ids(record, name)
        after[name] = sorted({getattr(v, "pk", v) for v in value})
    if record is not None:
        after = {k: v for k, v in after.items() if before.get(k) != v}
        before = {k: before[k] for k in after}
    if not after:
        raise ChangeInvalid(_("Nothing would change."))
    organisation = organisation_id if organisation_id is not None else entry.organisation_id(record or candidate)
    change = ChangeRequest.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_id=record.pk if record is not None else None,
        organisation_id=organisation,
        subject=f"{model._meta.verbose_name}: {record if record is not None else _('new')}"[:255],
        before=before,
        changes=after,
        reason=reason.strip()[:255],
        proposed_by=actor if is_person(actor) else None,
    )
    audit.record("propose_change", change, actor=actor, before=before, after={**after, "reason": change.reason})
    return change


@retry_on_conflict
def propose_change(
    record: models.Model | None,
    changes: Mapping[str, Any],
    *,
    actor: Actor,
    model: Any = None,
    reason: str = "",
) -> ChangeRequest:
    with transaction.atomic(durable=True):
        return propose(record, changes, actor=actor, model=model, reason=reason)


def _related_ids(record: models.Model, name: str) -> list[Any]:
    return sorted(getattr(record, name).values_list("pk", flat=True))


def _json(field: Any, value: Any) -> Any:
    """A value as JSON, decimals to the field's places (so 50000 and 50000.00 are one value)."""
    if isinstance(value, Decimal) and isinstance(field, models.DecimalField):
        value = value.quantize(Decimal(1).scaleb(-field.decimal_places))
    return audit.to_json(value)


def _candidate(model: Any, record: models.Model | None, changes: Mapping[str, Any]) -> models.Model:
    candidate = model.objects.get(pk=record.pk) if record is not None else model()
    for name, value in changes.items():
        field: Any = model._meta.get_field(name)
        try:
            setattr(candidate, field.attname, field.to_python(getattr(value, "pk", value)))
        except ValidationError as exc:
            raise ChangeInvalid(details={name: exc.messages}) from exc
    try:
        candidate.full_clean(validate_unique=record is None)
    except ValidationError as exc:
        raise ChangeInvalid(details=exc.message_dict) from exc
    return candidate


# --- deciding ---------------------------------------------------------------------------------
@retry_on_conflict
def decide_change(change: ChangeRequest, *, approve: bool, actor: Actor, note: str = "") -> ChangeRequest:
    """Approve (apply) or reject a waiting change; its maker may withdraw it instead."""
    if not (is_person(actor) and change.proposed_by_id == getattr(actor, "pk", None)):
        require_scope(actor, organisation_id=change.organisation_id)
    with transaction.atomic(durable=True):
        locked = locks.change_request_for_update(change.pk)
        if locked.status != ChangeStatus.PENDING:
            raise InvalidTransition(_("This change was already decided."))
        withdrawing = not approve and is_person(actor) and locked.proposed_by_id == getattr(actor, "pk", None)
        if not withdrawing and is_person(actor) and not actor.has_perm("orgs.decide_changerequest"):
            raise PermissionDenied(_("You may not approve price and policy changes."))
        extra: dict[str, Any] = {"note": note.strip()[:255]} if note.strip() else {}
        if approve:
            if duties.require_another_person(
                locked.organisation_id, actor=actor, earlier={_("the change"): locked.proposed_by_id}, field="change"
            ):
                extra["one_person_waiver"] = True
            record = _apply(locked, actor)
            if locked.object_id is None:
                locked.object_id = record.pk
                locked.save(update_fields=["object_id"])
        status = ChangeStatus.APPLIED if approve else (ChangeStatus.WITHDRAWN if withdrawing else ChangeStatus.REJECTED)
        verb = "approve_change" if approve else ("withdraw_change" if withdrawing else "reject_change")
        audit.change_status(
            verb,
            locked,
            status,
            actor=actor,
            stamps={
                "decided_by": actor if is_person(actor) else None,
                "decided_at": timezone.now(),
                "decision_note": note.strip()[:255],
            },
            after=extra or None,
        )
        return locked


def _apply(change: ChangeRequest, actor: Actor) -> models.Model:
    model: Any = change.content_type.model_class()
    entry = governed(model) if model is not None else None
    if model is None or entry is None:
        raise ChangeInvalid(_("This record is no longer governed by approvals."))
    values = {field.attname: field.to_python(change.changes[field.attname]) for field in _fields(model, change.changes)}
    values.update({f.name: change.changes[f.name] for f in model._meta.many_to_many if f.name in change.changes})
    record = model.objects.filter(pk=change.object_id).first() if change.object_id is not None else None
    if change.object_id is not None and record is None:
        raise Conflict(_("The record was deleted meanwhile."))
    if entry.apply is not None:
        return entry.apply(change, record, values, actor)
    return apply_fields(change, record, values, actor, model=model)


def _fields(model: Any, data: Mapping[str, Any]) -> list[Any]:
    return [f for f in model._meta.concrete_fields if f.attname in data]


def apply_fields(
    change: ChangeRequest,
    record: models.Model | None,
    values: dict[str, Any],
    actor: Actor,
    *,
    model: Any = None,
) -> models.Model:
    """The default applier: create the record, or update its changed fields in one statement
    that also checks they still hold what the maker saw (else 409: propose again)."""
    model = model or type(record)
    related = {f.name: values.pop(f.name) for f in model._meta.many_to_many if f.name in values}
    if record is None:
        created = model(**values)
        try:
            created.full_clean()
        except ValidationError as exc:
            raise ChangeInvalid(details=exc.message_dict) from exc
        created.save()
        for name, ids in related.items():
            getattr(created, name).set(ids)
        audit.record("apply_change", created, actor=actor, after={**change.changes, "change": change.pk})
        return created
    stale = Conflict(_("The record was changed after this change was proposed; propose it again."))
    if values:
        fields = _fields(model, change.before)
        still = {f.attname: f.to_python(change.before[f.attname]) for f in fields}
        stamp = (
            {"updated_at": timezone.now()} if any(f.name == "updated_at" for f in model._meta.concrete_fields) else {}
        )
        if not model.objects.filter(pk=record.pk, **still).update(**values, **stamp):
            raise stale
    for name, ids in related.items():
        if _related_ids(record, name) != change.before.get(name, []):
            raise stale
        getattr(record, name).set(ids)
    record.refresh_from_db()
    audit.record(
        "apply_change", record, actor=actor, before=change.before, after={**change.changes, "change": change.pk}
    )
    return record


def changes_for(user: Any) -> models.QuerySet[ChangeRequest]:
    """The changes ``user`` may see: those in their scope and those they proposed."""
    from baogong.core.scoping import scoped

    mine = ChangeRequest.objects.filter(proposed_by_id=getattr(user, "pk", None))
    return (
        (scoped(ChangeRequest.objects.all(), user) | mine)
        .distinct()
        .select_related("content_type", "proposed_by", "decided_by", "organisation")
    )


def describe(change: ChangeRequest) -> list[tuple[str, Any, Any]]:
    """``(field label, before, after)`` rows, in the language now active, with choices named."""
    model: Any = change.content_type.model_class()
    rows: list[tuple[str, Any, Any]] = []
    for attname, after in change.changes.items():
        fields = [*model._meta.concrete_fields, *model._meta.many_to_many] if model else []
        field = next((f for f in fields if f.attname == attname), None)
        label = str(field.verbose_name) if field is not None else attname
        rows.append((label, _shown(field, change.before.get(attname)), _shown(field, after)))
    return rows


def _shown(field: Any, value: Any) -> Any:
    if value is None or value == "":
        return "—"
    if field is not None and field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field is not None and field.many_to_many:
        return "、".join(str(t) for t in field.related_model.objects.filter(pk__in=value)) or "—"
    if field is not None and field.is_relation:
        target = field.related_model.objects.filter(pk=value).first()
        return str(target) if target is not None else value
    return value


def all_fields(model: type[models.Model]) -> tuple[str, ...]:
    """Every field a person edits (not the key or the time stamps)."""
    skip = {"id", "created_at", "updated_at"}
    return tuple(f.name for f in model._meta.concrete_fields if f.editable and f.name not in skip)


def _approval_limits() -> list[Governed]:
    from baogong.orgs.models import ApprovalLimit

    return [Governed(ApprovalLimit, all_fields(ApprovalLimit))]


GOVERNED = _approval_limits()
