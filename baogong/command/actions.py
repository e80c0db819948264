"""Every state change of the command centre's records (drills: :func:`start_drill`, then the
background job records the result or the failure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.command import drills, locks, playbooks, queries
from baogong.command.choices import DrillStatus, RectificationStatus
from baogong.command.errors import (
    DrillInvalid,
    InspectionInvalid,
    PlaybookStepInvalid,
    PostInvalid,
    RecipientInvalid,
    RectificationClosed,
)
from baogong.command.models import (
    ChecklistTemplate,
    CommunicationPost,
    Drill,
    Finding,
    Inspection,
    PlaybookStep,
    Rectification,
    ReportRecipient,
)
from baogong.core import audit, uploads
from baogong.core.audit import Actor
from baogong.core.jobs import create_job, enqueue_job
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import has_global_scope, require_scope, user_scope
from baogong.orgs.choices import SiteKind
from baogong.orgs.models import Site
from baogong.people.models import Incident

POST_FIELDS = ["organisation", "kind", "channel", "outlet", "published_on", "title", "link", "reads"]
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png")


def _clean(obj: Any, error: type[Exception], exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise error(details=exc.message_dict) from exc  # type: ignore[call-arg]


@retry_on_conflict
def record_post(data: Mapping[str, Any], *, actor: Actor) -> CommunicationPost:
    """Log a post we published or a piece of outside coverage."""
    with transaction.atomic(durable=True):
        post = CommunicationPost(**{k: v for k, v in data.items() if k in POST_FIELDS})
        _clean(post, PostInvalid)
        if not user_scope(actor).allows(organisation_id=post.organisation_id):
            raise PostInvalid(details={"organisation": [_("You may not log posts for this organisation.")]})
        post.save()
        audit.record("record_post", post, actor=actor, after=audit.snapshot(post))
        return post


@retry_on_conflict
def update_post_reads(post: CommunicationPost, reads: int, *, actor: Actor) -> CommunicationPost:
    if reads < 0:
        raise PostInvalid(details={"reads": [_("Reads cannot be negative.")]})
    with transaction.atomic(durable=True):
        locked = locks.post_for_update(post.pk)
        require_scope(actor, organisation_id=locked.organisation_id)
        before = {"reads": locked.reads}
        locked.reads = reads
        locked.save(update_fields=["reads", "updated_at"])
        audit.record("update_post_reads", locked, actor=actor, before=before, after={"reads": reads})
        return locked


@dataclass(frozen=True)
class FindingInput:
    item_code: str
    is_compliant: bool
    remark: str = ""
    photo: Any = None
    owner: str = ""
    deadline: dt.date | None = None


def check_photo(upload: Any, field: str) -> None:
    suffix = Path(str(getattr(upload, "name", ""))).suffix.lower()
    if suffix not in PHOTO_EXTENSIONS:
        raise InspectionInvalid(details={field: [_("A photo must be a JPEG or PNG file.")]})
    if int(getattr(upload, "size", 0) or 0) > settings.BAOGONG_MAX_UPLOAD_BYTES:
        raise InspectionInvalid(details={field: [_("The photo is too large.")]})
    if not uploads.matches(upload, suffix):
        raise InspectionInvalid(details={field: [_("The file's content does not match its type.")]})


def _validate_findings(template: ChecklistTemplate, findings: Sequence[FindingInput], on: dt.date) -> dict[str, Any]:
    items = {item.code: item for item in template.items.all()}
    given = [f.item_code for f in findings]
    errors: dict[str, list[str]] = {}
    if sorted(given) != sorted(items) or len(set(given)) != len(given):
        errors["findings"] = [_("Answer every point of the checklist exactly once.")]
    for finding in findings:
        key = f"finding_{finding.item_code}"
        if finding.photo is not None:
            check_photo(finding.photo, key)
        if not finding.is_compliant:
            if not finding.remark.strip():
                errors.setdefault(key, []).append(_("Describe what is wrong."))
            if not finding.owner.strip():
                errors.setdefault(key, []).append(_("Name who puts it right."))
            if finding.deadline is None or finding.deadline < on:
                errors.setdefault(key, []).append(_("Give a deadline on or after the inspection day."))
    if errors:
        raise InspectionInvalid(details=errors)
    return items


def _write_inspection(
    venue: Site,
    template: ChecklistTemplate,
    on: dt.date,
    findings: Sequence[FindingInput],
    note: str,
    follows: Rectification | None,
    actor: Actor,
) -> Inspection:
    items = _validate_findings(template, findings, on)
    inspection = Inspection.objects.create(
        venue=venue,
        template=template,
        inspector=actor if getattr(actor, "pk", None) else None,
        inspected_on=on,
        note=note,
        items_checked=len(findings),
        items_compliant=sum(1 for f in findings if f.is_compliant),
        follows=follows,
    )
    for given in findings:
        finding = Finding(
            inspection=inspection, item=items[given.item_code], is_compliant=given.is_compliant, remark=given.remark
        )
        if given.photo is not None:
            finding.photo.save(Path(given.photo.name).name, given.photo, save=False)
        finding.save()
        if not given.is_compliant:
            assert given.deadline is not None
            Rectification.objects.create(finding=finding, owner=given.owner.strip(), deadline=given.deadline)
    return inspection


@retry_on_conflict
def record_inspection(
    venue: Site,
    template: ChecklistTemplate,
    *,
    on: dt.date,
    findings: Sequence[FindingInput],
    note: str = "",
    actor: Actor,
) -> Inspection:
    """An inspection of a commercial venue; each failed point opens a rectification."""
    require_scope(actor, organisation_id=venue.organisation_id, site_id=venue.pk)
    if venue.kind != SiteKind.COMMERCIAL_VENUE:
        raise InspectionInvalid(details={"venue": [_("Only commercial venues are inspected for reopening.")]})
    with transaction.atomic(durable=True):
        inspection = _write_inspection(venue, template, on, findings, note, None, actor)
        audit.record(
            "record_inspection",
            inspection,
            actor=actor,
            after={
                "venue": venue.code,
                "on": on,
                "compliant": inspection.items_compliant,
                "checked": inspection.items_checked,
                "failed": [f.item_code for f in findings if not f.is_compliant],
            },
        )
        return inspection


@retry_on_conflict
def record_reinspection(
    rectification: Rectification, *, on: dt.date, is_compliant: bool, remark: str = "", photo: Any = None, actor: Actor
) -> Rectification:
    """Re-inspect the failed point: a pass closes the rectification, a fail keeps it open."""
    if photo is not None:
        check_photo(photo, "photo")
    with transaction.atomic(durable=True):
        locked = locks.rectification_for_update(rectification.pk)
        venue = locked.finding.inspection.venue
        require_scope(actor, organisation_id=venue.organisation_id, site_id=venue.pk)
        if locked.status != RectificationStatus.OPEN:
            raise RectificationClosed
        original = locked.finding.inspection
        if on < original.inspected_on:
            raise InspectionInvalid(details={"on": [_("The re-inspection cannot be before the inspection.")]})
        if not is_compliant and not remark.strip():
            raise InspectionInvalid(details={"remark": [_("Describe what is wrong.")]})
        inspection = Inspection.objects.create(
            venue=original.venue,
            template=original.template,
            inspector=actor if getattr(actor, "pk", None) else None,
            inspected_on=on,
            items_checked=1,
            items_compliant=1 if is_compliant else 0,
            follows=locked,
        )
        finding = Finding(inspection=inspection, item=locked.finding.item, is_compliant=is_compliant, remark=remark)
        if photo is not None:
            finding.photo.save(Path(photo.name).name, photo, save=False)
        finding.save()
        if is_compliant:
            locked.status = RectificationStatus.CLOSED
            locked.closed_on = on
            locked.save(update_fields=["status", "closed_on", "updated_at"])
        audit.record(
            "record_reinspection",
            locked,
            actor=actor,
            before={"status": RectificationStatus.OPEN},
            after={"status": locked.status, "reinspection": inspection.pk, "compliant": is_compliant},
        )
        return locked


@retry_on_conflict
def add_report_recipient(data: Mapping[str, Any], *, actor: Actor) -> ReportRecipient:
    with transaction.atomic(durable=True):
        recipient = ReportRecipient(
            **{k: v for k, v in data.items() if k in {"organisation", "name", "email", "webhook_url"}}
        )
        _clean(recipient, RecipientInvalid)
        if not recipient.email and not recipient.webhook_url:
            raise RecipientInvalid(details={"email": [_("Give an e-mail address or a webhook.")]})
        recipient.save()
        audit.record("add_report_recipient", recipient, actor=actor, after=audit.snapshot(recipient))
        return recipient


@retry_on_conflict
def remove_report_recipient(recipient: ReportRecipient, *, actor: Actor) -> ReportRecipient:
    with transaction.atomic(durable=True):
        locked = locks.recipient_for_update(recipient.pk)
        require_scope(actor, organisation_id=locked.organisation_id)
        locked.is_active = False
        locked.save(update_fields=["is_active", "updated_at"])
        audit.record(
            "remove_report_recipient", locked, actor=actor, before={"is_active": True}, after={"is_active": False}
        )
        return locked


# --------------------------------------------------------------------------- drills


@retry_on_conflict
def start_drill(data: Mapping[str, Any], *, actor: Actor, title: str = "") -> Drill:
    """Validate the drill's events and queue it as a background job (progress bar); the job runs
    it against a snapshot, changing nothing, and records the result on the drill.

    A drill reads the whole network, so only users who see the whole network may run one."""
    events = drills.parse_events(data)
    if not has_global_scope(actor):
        raise DrillInvalid(details={"__all__": [_("A drill covers the whole network; you may not run one.")]})
    from baogong.command.tasks import run_drill_job

    with transaction.atomic(durable=True):
        drill = Drill.objects.create(
            title=title.strip()[:128],
            window_start=events.window.start,
            days=events.window.days,
            seed=events.seed,
            parameters=events.as_json(),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        drill.job = create_job("command.drill", _("Drill %(drill)s") % {"drill": drill}, owner=actor)
        drill.save(update_fields=["job", "updated_at"])
        audit.record("start_drill", drill, actor=actor, after={"title": drill.title, **drill.parameters})
        enqueue_job(drill.job, run_drill_job, drill.pk)
        return drill


@retry_on_conflict
def record_drill_result(drill: Drill, result: Mapping[str, Any] | None, *, error: str = "", actor: Actor) -> Drill:
    """Store what the drill found (or why it failed)."""
    with transaction.atomic(durable=True):
        locked = locks.drill_for_update(drill.pk)
        stamps: dict[str, Any] = {"result": dict(result) if result is not None else None, "error": error[:255]}
        after: dict[str, Any] = {}
        if result is not None:
            after.update(
                unmet_units={k: result[k]["unmet_units"] for k in ("baseline", "drill")},
                km={k: result[k]["km"] for k in ("baseline", "drill")},
                moved=len(result["moved"]),
            )
        else:
            after["error"] = stamps["error"]
        status = DrillStatus.FAILED if result is None else DrillStatus.DONE
        stamps["finished_at"] = timezone.now()
        audit.change_status("record_drill_result", locked, status, actor=actor, stamps=stamps, after=after)
        return locked


def mark_drill_running(drill: Drill) -> None:
    """The job has started (a status for the page; progress itself is the job's)."""
    Drill.objects.filter(pk=drill.pk, status=DrillStatus.QUEUED).update(status=DrillStatus.RUNNING)


# --- incident playbooks -------------------------------------------------------------------------


@retry_on_conflict
def complete_playbook_step(incident: Incident, code: str, *, note: str = "", actor: Actor) -> PlaybookStep:
    """Tick off one step of the incident's playbook: who, when, with an optional note (audited)."""
    note = note.strip()
    if len(note) > 500:
        raise PlaybookStepInvalid(details={"note": [_("At most 500 characters.")]})
    with transaction.atomic(durable=True):
        require_scope(actor, organisation_id=incident.organisation_id, site_id=incident.site_id)
        steps = {s.code: s for s in locks.playbook_steps_for_update(incident.pk)}
        if code not in playbooks.step_codes(queries.playbook_kind_of(incident)):
            raise PlaybookStepInvalid(details={"code": [_("This step is not part of the incident's playbook.")]})
        if code in steps:
            raise PlaybookStepInvalid(details={"code": [_("This step is already done.")]})
        try:
            with transaction.atomic():
                step = PlaybookStep.objects.create(
                    incident=incident,
                    code=code,
                    done_at=timezone.now(),
                    done_by=actor if getattr(actor, "pk", None) and not getattr(actor, "is_system", False) else None,
                    note=note,
                )
        except IntegrityError as exc:  # ticked at the same moment by someone else (no row to lock yet)
            raise PlaybookStepInvalid(details={"code": [_("This step is already done.")]}) from exc
        audit.record(
            "complete_playbook_step",
            incident,
            actor=actor,
            after={"step": code, "note": note, "done_at": step.done_at.isoformat()},
        )
        return step


@retry_on_conflict
def reopen_playbook_step(incident: Incident, code: str, *, reason: str, actor: Actor) -> None:
    """Undo a ticked step (done by mistake, or to be done again), with a reason (audited)."""
    reason = reason.strip()
    if not reason:
        raise PlaybookStepInvalid(details={"reason": [_("Give a reason.")]})
    with transaction.atomic(durable=True):
        require_scope(actor, organisation_id=incident.organisation_id, site_id=incident.site_id)
        steps = {s.code: s for s in locks.playbook_steps_for_update(incident.pk)}
        step = steps.get(code)
        if step is None:
            raise PlaybookStepInvalid(details={"code": [_("This step is not done.")]})
        before = {"step": code, "note": step.note, "done_at": step.done_at.isoformat(), "done_by": step.done_by_id}
        step.delete()
        audit.record("reopen_playbook_step", incident, actor=actor, before=before, after={"reason": reason[:500]})
