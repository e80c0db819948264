"""Audit events: every action records one (invariant 4)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.fields.files import FieldFile

from baogong.core.context import current_request_id
from baogong.core.models import AuditEvent

Actor = Any  # a user, AnonymousUser, a SystemActor or None


def to_json(value: Any) -> Any:
    """Turn a field value into something JSON can hold, losslessly for our types."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_json(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, FieldFile):
        return value.name or None
    return value


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``obj`` (foreign keys as ids) as a JSON-safe dict."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if getattr(field, "audit_masked", False):
            data[field.attname] = "***"
            continue
        data[field.attname] = to_json(getattr(obj, field.attname))
    return data


def record(
    verb: str,
    obj: models.Model | None,
    *,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    organisation_id: int | None = None,
    site_id: int | None = None,
    object_repr: str | None = None,
) -> AuditEvent:
    """Write one audit event. Call inside the action's transaction."""
    if obj is not None and (organisation_id is None and site_id is None):
        scope = getattr(obj, "audit_scope", None)
        if callable(scope):
            organisation_id, site_id = scope()
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    label = ""
    if user is not None:
        label = user.get_username()
    elif actor is not None and getattr(actor, "audit_label", None):
        label = str(actor.audit_label)
    return AuditEvent.objects.create(
        actor=user,
        actor_label=label or "system",
        verb=verb,
        object_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr if object_repr is not None else (str(obj) if obj is not None else ""))[:255],
        before=to_json(before) if before is not None else None,
        after=to_json(after) if after is not None else None,
        request_id=current_request_id(),
        organisation_id=organisation_id,
        site_id=site_id,
    )


def user_of(actor: Actor) -> Any:
    """The actor as the user a who-field stores (``created_by``, ``decided_by``…): ``None`` for a
    system actor (the replay, the worker, a public link)."""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


@dataclass(frozen=True)
class Entry:
    """One event of :func:`record_many`: the record and its before/after."""

    obj: models.Model
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    organisation_id: int | None = None  # the record's own scope (``audit_scope``) when both are None
    site_id: int | None = None
    object_repr: str | None = None


def record_many(verb: str, entries: Sequence[Entry], *, actor: Actor) -> list[AuditEvent]:
    """Write one audit event per entry (the same as :func:`record` for each) in one insert: the
    bulk actions (ship a day's shipments, close them) audit every record they change without a
    statement per record. Call inside the action's transaction."""
    if not entries:
        return []
    user = user_of(actor)
    label = user.get_username() if user is not None else str(getattr(actor, "audit_label", "") or "")
    request_id = current_request_id()
    types: dict[type[models.Model], ContentType] = {}
    events = []
    for entry in entries:
        obj = entry.obj
        organisation_id, site_id = entry.organisation_id, entry.site_id
        scope = getattr(obj, "audit_scope", None)
        if organisation_id is None and site_id is None and callable(scope):
            organisation_id, site_id = scope()
        kind = type(obj)
        if kind not in types:
            types[kind] = ContentType.objects.get_for_model(obj)
        events.append(
            AuditEvent(
                actor=user,
                actor_label=label or "system",
                verb=verb,
                object_type=types[kind],
                object_id=str(obj.pk) if obj.pk is not None else "",
                object_repr=(entry.object_repr if entry.object_repr is not None else str(obj))[:255],
                before=to_json(entry.before) if entry.before is not None else None,
                after=to_json(entry.after) if entry.after is not None else None,
                request_id=request_id,
                organisation_id=organisation_id,
                site_id=site_id,
            )
        )
    return AuditEvent.objects.bulk_create(events, batch_size=500)


class SystemActor:
    """An actor for work with no logged-in user (public links, scenario replay, the worker)."""

    is_authenticated = False
    is_system = True

    def __init__(self, label: str) -> None:
        self.audit_label = label

    def __str__(self) -> str:
        return self.audit_label


def history_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """The audit events about one record, newest first."""
    return AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")


def change_status(
    verb: str,
    obj: models.Model,
    status: str,
    *,
    actor: Actor,
    stamps: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Move a record the action has locked (and checked) to ``status``, set the fields in ``stamps``
    (who, when, why), save just those fields (and ``updated_at`` where the model has it) and record
    ``verb``: before = the old status (and ``before``), after = the new one (and ``after``)."""
    old = obj.status  # type: ignore[attr-defined]
    obj.status = status  # type: ignore[attr-defined]
    for field, value in (stamps or {}).items():
        setattr(obj, field, value)
    fields = ["status", *(stamps or {})]
    if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
        fields.append("updated_at")
    obj.save(update_fields=fields)
    return record(
        verb,
        obj,
        actor=actor,
        before={"status": old, **(before or {})},
        after={"status": obj.status, **(after or {})},  # type: ignore[attr-defined]
    )
