"""Field pages that work offline: what the server does for the phone's local queue.

A phone page (proof of delivery, the daily check-in…) records an action offline as an event with a
device-generated id and the version of the record it was based on; ``core/static/core/field.js``
sends the queued events in order when the network returns, each with the id as its
``Idempotency-Key`` (a replay is answered with the first answer). This module holds the server's
part shared by every app:

- :func:`is_queued` tells a queued submission (answered in JSON) from a plain form post;
- :func:`store_photo` keeps a photo uploaded apart from its event, after checking the SHA-256 the
  browser computed; the event names the photo by that checksum (:func:`photo_by_checksum`);
- :func:`record_conflict` turns an event that no longer fits its record (the version it was based
  on is gone) into a :class:`FieldConflict` for a person to review, never a silent overwrite;
  :func:`resolve_conflict` closes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import Conflict, DomainError, ValidationFailed
from baogong.core.models import FieldConflict, FieldPhoto
from baogong.core.retry import retry_on_conflict
from baogong.core.uploads import IMAGE_KINDS, check_upload

QUEUE_HEADER = "X-Baogong-Queue"
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
EVENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class PhotoChecksumMismatch(ValidationFailed):
    code = "photo_checksum_mismatch"


class StaleVersion(Conflict):
    """The record changed after the phone read it (raised inside the action's transaction, which
    rolls back; the view then records a :class:`FieldConflict`)."""

    code = "field_conflict"

    def __init__(self, *, current: str, reason: str) -> None:
        super().__init__(reason, details={"current": current})
        self.current = current
        self.reason = reason


def is_queued(request: HttpRequest) -> bool:
    """A submission sent by the phone's queue (``field.js``), answered in JSON."""
    return request.headers.get(QUEUE_HEADER) == "1"


def event_id(request: HttpRequest) -> str:
    """The device event id of a queued submission (its ``Idempotency-Key``), or ``""``."""
    value = (request.headers.get("Idempotency-Key") or request.POST.get("event_id") or "").strip()
    return value if EVENT_ID_RE.match(value) else ""


def queue_answer(http_status: int, /, **body: Any) -> JsonResponse:
    return JsonResponse(body, status=http_status, json_dumps_params={"ensure_ascii": False})


# How far back a phone's own clock is trusted for the time an offline action was taken (a shift).
MADE_AT_WINDOW = dt.timedelta(hours=24)


def made_at(request: HttpRequest) -> dt.datetime:
    """When the phone recorded the event (``made_at``, ISO 8601 from ``field.js``), so an arrival
    queued offline keeps its place; the server's time when missing, in the future, or older than
    :data:`MADE_AT_WINDOW` (a phone's clock is not trusted further)."""
    now = timezone.now()
    raw = (request.POST.get("made_at") or "").strip().replace("Z", "+00:00")
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        return now
    if timezone.is_naive(value) or value > now or value < now - MADE_AT_WINDOW:
        return now
    return value


@dataclass(frozen=True)
class ConflictTarget:
    """Where a conflict of an event belongs: what it is about, who reviews it and where."""

    kind: str
    object_label: str
    link: str
    permission: str
    organisation_id: int | None
    site_id: int | None
    payload: Mapping[str, str]


def answer_queued(
    request: HttpRequest,
    action: Callable[[], Any],
    *,
    target: Callable[[], ConflictTarget],
    answer: Callable[[Any], Mapping[str, Any]] = lambda _result: {},
    done: Callable[[Any], str] | None = None,
) -> JsonResponse:
    """Run the action of one event from the phone's queue and answer in JSON: 200 with
    ``answer(result)``; 409 ``field_conflict`` when the action raised :class:`StaleVersion` (the
    event is kept as a :class:`FieldConflict` described by ``target()``, nothing applied); the
    domain error's status and details when refused. The device event id is required (a replay
    with it is answered by the idempotency middleware with the first answer). ``done(result)``: a
    message for the person's next page (a list page reloads once its queue went out)."""
    event = event_id(request)
    if not event:
        return queue_answer(400, code="invalid", details={"event_id": [_("Missing device event id.")]})
    try:
        result = action()
    except StaleVersion as stale:
        where = target()
        conflict = record_conflict(
            event=event,
            kind=where.kind,
            object_label=where.object_label,
            link=where.link,
            permission=where.permission,
            organisation_id=where.organisation_id,
            site_id=where.site_id,
            based_on=request.POST.get("based_on", ""),
            stale=stale,
            payload=where.payload,
            actor=request.user,
        )
        return queue_answer(409, code="field_conflict", message=conflict.reason, details={})
    except DomainError as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        return queue_answer(exc.status_code, code=exc.code, message=str(exc.message), details=details)
    if done is not None:
        messages.success(request, done(result))
    return queue_answer(200, status="recorded", **answer(result))


def form_payload(request: HttpRequest, labels: Mapping[str, str]) -> dict[str, str]:
    """What the phone sent, under the field's label, for the reviewer of a conflict."""
    return {str(label): str(request.POST.get(name, ""))[:200] for name, label in labels.items()}


@retry_on_conflict
def store_photo(data: bytes, *, claimed_sha256: str, actor: Actor) -> FieldPhoto:
    """Keep a photo whose SHA-256 the browser computed; refuse it when the bytes that arrived have
    another checksum (a broken upload: the phone sends it again). The same photo twice is stored
    once."""
    claimed = claimed_sha256.strip().lower()
    if not SHA256_RE.match(claimed):
        raise ValidationFailed(details={"sha256": [_("Send the photo's SHA-256 as 64 hexadecimal digits.")]})
    actual = hashlib.sha256(data).hexdigest()
    if actual != claimed:
        raise PhotoChecksumMismatch(
            _("The photo arrived damaged (its checksum differs); it will be sent again."),
            details={"sha256": [_("The photo arrived damaged (its checksum differs); it will be sent again.")]},
        )
    kind = check_upload(ContentFile(data), field="photo", kinds=IMAGE_KINDS)
    existing = FieldPhoto.objects.filter(sha256=actual).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic(durable=True):
            photo = FieldPhoto(sha256=actual, size=len(data), kind=kind, uploaded_by=audit_label(actor))
            photo.file.save(f"{actual}.{kind}", ContentFile(data), save=False)
            photo.save()
            audit.record("upload_field_photo", photo, actor=actor, after={"sha256": actual, "size": len(data)})
    except IntegrityError:
        # the same photo arrived twice at once: the other upload stored it
        return FieldPhoto.objects.get(sha256=actual)
    return photo


def photo_by_checksum(sha256: str) -> FieldPhoto | None:
    value = sha256.strip().lower()
    if not SHA256_RE.match(value):
        return None
    return FieldPhoto.objects.filter(sha256=value).first()


def audit_label(actor: Actor) -> str:
    if getattr(actor, "is_authenticated", False):
        return str(actor.get_username())[:150]
    return str(getattr(actor, "audit_label", "") or "")[:150]


@retry_on_conflict
def record_conflict(
    *,
    event: str,
    kind: str,
    object_label: str,
    link: str,
    permission: str,
    organisation_id: int | None,
    site_id: int | None,
    based_on: str,
    stale: StaleVersion,
    payload: Mapping[str, str],
    actor: Actor,
) -> FieldConflict:
    """Keep an offline event that no longer fits its record for a person to review. The same event
    arriving again (a replay) finds its conflict and records nothing more."""
    with transaction.atomic(durable=True):
        existing = FieldConflict.objects.filter(event_id=event).first()
        if existing is not None:
            return existing
        conflict = FieldConflict.objects.create(
            event_id=event,
            kind=kind,
            object_label=object_label[:200],
            link=link[:300],
            permission=permission,
            organisation_id=organisation_id,
            site_id=site_id,
            based_on=based_on[:64],
            current=stale.current[:64],
            reason=stale.reason[:255],
            payload=dict(payload),
            submitted_by=audit_label(actor),
        )
        audit.record(
            "record_field_conflict",
            conflict,
            actor=actor,
            after={"record": conflict.object_label, "reason": conflict.reason, "event": event},
        )
        return conflict


@retry_on_conflict
def resolve_conflict(conflict: FieldConflict, *, note: str, actor: Actor) -> FieldConflict:
    """A reviewer closes a conflict (after redoing what was right on the record itself)."""
    from baogong.core.locks import conflict_for_update
    from baogong.core.scoping import require_scope

    with transaction.atomic(durable=True):
        locked = conflict_for_update(conflict.pk)
        require_scope(actor, organisation_id=locked.organisation_id, site_id=locked.site_id)
        if locked.status != FieldConflict.Status.OPEN:
            raise Conflict(_("This conflict was already reviewed."))
        if not note.strip():
            raise ValidationFailed(details={"resolution": [_("Say what was done about it.")]})
        locked.status = FieldConflict.Status.RESOLVED
        locked.resolved_by = audit.user_of(actor)
        locked.resolved_at = timezone.now()
        locked.resolution = note.strip()[:255]
        locked.save(update_fields=["status", "resolved_by", "resolved_at", "resolution"])
        audit.record(
            "resolve_field_conflict",
            locked,
            actor=actor,
            before={"status": FieldConflict.Status.OPEN},
            after={"status": locked.status, "resolution": locked.resolution},
        )
        return locked
