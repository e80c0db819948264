"""Every state change of missions, cost lines and reimbursement claims."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit, uploads
from baogong.core.audit import Actor
from baogong.core.errors import require_text
from baogong.core.money import round_fen
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope, user_scope
from baogong.distribution.queries import delivered_lines
from baogong.finance import locks
from baogong.finance.choices import ClaimStatus, CostCategory, CostStatus
from baogong.finance.errors import (
    ClaimInvalid,
    ClaimWrongStatus,
    CostLineInvalid,
    CostLineNotPending,
    MissionInvalid,
    PaymentExceedsClaim,
)
from baogong.finance.models import ClaimPayment, CostLine, Mission, ReimbursementClaim
from baogong.orgs.models import Site

MISSION_FIELDS = ["code", "name", "kind", "organisation", "funder", "budget", "starts_on", "ends_on", "description"]
COST_FIELDS = ["category", "amount", "incurred_on", "invoice_number", "supplier", "description"]
ATTACHMENT_EXTENSIONS = {".pdf", ".jpg", ".jpeg", ".png", ".ofd", ".xlsx"}


def _full_clean(obj: Any, error: type[Exception], exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise error(details=exc.message_dict) from exc  # type: ignore[call-arg]


@retry_on_conflict
def create_mission(data: Mapping[str, Any], *, recipients: Iterable[Site] = (), actor: Actor) -> Mission:
    """Open a mission owned by an organisation the actor may act for."""
    with transaction.atomic(durable=True):
        mission = Mission(**{k: v for k, v in data.items() if k in MISSION_FIELDS})
        _full_clean(mission, MissionInvalid)
        if not user_scope(actor).allows(organisation_id=mission.organisation_id):
            raise MissionInvalid(details={"organisation": [_("You may not open missions for this organisation.")]})
        mission.save()
        sites = list(recipients)
        mission.recipients.set(sites)
        after = audit.snapshot(mission)
        after["recipients"] = sorted(s.code for s in sites)
        audit.record("create_mission", mission, actor=actor, after=after)
        return mission


def _line_snapshot(line: CostLine) -> dict[str, Any]:
    fields = [f.name for f in CostLine._meta.concrete_fields if f.name != "attachment"]
    data = audit.snapshot(line, fields)
    data["attachment"] = line.attachment.name or ""
    return data


def check_attachment(upload: Any) -> None:
    """Refuse attachments of an unexpected type or too large; nothing is stored then."""
    name = str(getattr(upload, "name", ""))
    suffix = Path(name).suffix.lower()
    if suffix not in ATTACHMENT_EXTENSIONS:
        raise CostLineInvalid(
            details={"attachment": [_("Attach a PDF, JPEG, PNG, OFD or XLSX file (not %(ext)s).") % {"ext": suffix}]}
        )
    size = int(getattr(upload, "size", 0) or 0)
    if size > settings.BAOGONG_MAX_UPLOAD_BYTES:
        raise CostLineInvalid(
            details={
                "attachment": [
                    _("The file is larger than %(mb)d MB.") % {"mb": settings.BAOGONG_MAX_UPLOAD_BYTES // 2**20}
                ]
            }
        )
    if not uploads.matches(upload, suffix):
        raise CostLineInvalid(details={"attachment": [_("The file's content does not match its type.")]})


@retry_on_conflict
def add_cost_line(mission: Mission, data: Mapping[str, Any], *, attachment: Any = None, actor: Actor) -> CostLine:
    """Record a cost of ``mission`` (pending approval)."""
    if attachment is not None:
        check_attachment(attachment)
    with transaction.atomic(durable=True):
        require_scope(actor, organisation_id=mission.organisation_id)
        line = CostLine(mission=mission, **{k: v for k, v in data.items() if k in COST_FIELDS})
        if line.amount is not None:
            line.amount = round_fen(Decimal(line.amount))
        _full_clean(line, CostLineInvalid, exclude=["attachment", "claim", "approved_by"])
        if line.amount <= 0:
            raise CostLineInvalid(details={"amount": [_("The amount must be more than zero.")]})
        if line.category == CostCategory.GOODS and not data.get("source_key"):
            if not line.invoice_number:
                raise CostLineInvalid(details={"invoice_number": [_("Goods bought in need an invoice number.")]})
        if attachment is not None:
            line.attachment.save(Path(attachment.name).name, attachment, save=False)
        line.save()
        audit.record("add_cost_line", line, actor=actor, after=_line_snapshot(line))
        return line


@retry_on_conflict
def approve_cost_line(line: CostLine, *, actor: Actor) -> CostLine:
    with transaction.atomic(durable=True):
        locked = locks.cost_line_for_update(line.pk)
        require_scope(actor, organisation_id=locked.mission.organisation_id)
        if locked.status != CostStatus.PENDING:
            raise CostLineNotPending
        audit.change_status(
            "approve_cost_line",
            locked,
            CostStatus.APPROVED,
            actor=actor,
            stamps={"approved_by": actor if getattr(actor, "pk", None) else None, "approved_at": timezone.now()},
        )
        return locked


@retry_on_conflict
def reject_cost_line(line: CostLine, reason: str, *, actor: Actor) -> CostLine:
    require_text(reason, CostLineInvalid, _("Give a reason for rejecting the cost line."))
    with transaction.atomic(durable=True):
        locked = locks.cost_line_for_update(line.pk)
        require_scope(actor, organisation_id=locked.mission.organisation_id)
        if locked.status != CostStatus.PENDING:
            raise CostLineNotPending
        reason = reason.strip()[:255]
        audit.change_status(
            "reject_cost_line",
            locked,
            CostStatus.REJECTED,
            actor=actor,
            stamps={"rejection_reason": reason},
            after={"rejection_reason": reason},
        )
        return locked


def _delivered_values(mission: Mission, until: dt.date) -> list[tuple[int, dt.date, Decimal]]:
    """(site id, day, value at cost) delivered to the mission's recipients, from distribution's queries."""
    site_ids = list(mission.recipients.values_list("pk", flat=True))
    end = min(until, mission.ends_on) if mission.ends_on else until
    rows = (
        delivered_lines(mission.starts_on, end)
        .filter(shipment__recipient_id__in=site_ids)
        .annotate(day=TruncDate("shipment__delivered_at"))
        .values("shipment__recipient_id", "day")
        .annotate(value=Sum(F("received_qty") * F("unit_cost")))
        .order_by()
    )
    return [(int(r["shipment__recipient_id"]), r["day"], Decimal(r["value"] or 0)) for r in rows]


@retry_on_conflict
def sync_goods_costs(mission: Mission, *, until: dt.date, actor: Actor) -> list[CostLine]:
    """Add one approved goods-at-cost line per recipient and day delivered that has none yet."""
    values = _delivered_values(mission, until)
    sites = {s.pk: s for s in mission.recipients.all()}
    with transaction.atomic(durable=True):
        locked_mission = locks.mission_for_update(mission.pk)
        require_scope(actor, organisation_id=locked_mission.organisation_id)
        existing = set(
            CostLine.objects.filter(mission=mission).exclude(source_key="").values_list("source_key", flat=True)
        )
        made = []
        for site_id, day, value in sorted(values):
            key = f"delivery:{site_id}:{day.isoformat()}"
            if key in existing or value <= 0:
                continue
            line = CostLine.objects.create(
                mission=mission,
                category=CostCategory.GOODS,
                amount=round_fen(value),
                incurred_on=day,
                supplier=str(mission.organisation),
                description=_("Goods delivered to %(site)s") % {"site": sites[site_id].name},
                source_key=key,
                status=CostStatus.APPROVED,
                approved_at=timezone.now(),
            )
            audit.record("sync_goods_costs", line, actor=actor, after=_line_snapshot(line))
            made.append(line)
        return made


def _next_claim_number(mission: Mission) -> str:
    count = ReimbursementClaim.objects.filter(mission=mission).count() + 1
    return f"{mission.code}-C{count:03d}"


@retry_on_conflict
def create_claim(mission: Mission, lines: Iterable[CostLine], *, actor: Actor) -> ReimbursementClaim:
    """A draft claim to the funder for approved cost lines not yet claimed."""
    ids = sorted({line.pk for line in lines})
    if not ids:
        raise ClaimInvalid(details={"lines": [_("Choose at least one approved cost line.")]})
    with transaction.atomic(durable=True):
        locked_mission = locks.mission_for_update(mission.pk)
        require_scope(actor, organisation_id=locked_mission.organisation_id)
        locked = locks.cost_lines_for_update(ids)
        bad = [
            line.pk
            for line in locked
            if line.mission_id != mission.pk or line.status != CostStatus.APPROVED or line.claim_id is not None
        ]
        if bad or len(locked) != len(ids):
            raise ClaimInvalid(
                details={"lines": [_("Only approved cost lines of this mission not yet claimed can be claimed.")]}
            )
        total = sum((line.amount for line in locked), Decimal("0"))
        claim = ReimbursementClaim.objects.create(mission=mission, number=_next_claim_number(mission), amount=total)
        CostLine.objects.filter(pk__in=ids).update(claim=claim)
        audit.record("create_claim", claim, actor=actor, after={**audit.snapshot(claim), "lines": ids})
        return claim


def _lock_claim(claim: ReimbursementClaim, *, actor: Actor) -> ReimbursementClaim:
    """The claim, locked, when it is in the actor's scope (else ``NotFound``)."""
    locked = locks.claim_for_update(claim.pk)
    require_scope(actor, organisation_id=locked.mission.organisation_id)
    return locked


@retry_on_conflict
def submit_claim(claim: ReimbursementClaim, *, on: dt.date, actor: Actor) -> ReimbursementClaim:
    with transaction.atomic(durable=True):
        locked = _lock_claim(claim, actor=actor)
        if locked.status != ClaimStatus.DRAFT:
            raise ClaimWrongStatus
        audit.change_status(
            "submit_claim",
            locked,
            ClaimStatus.SUBMITTED,
            actor=actor,
            stamps={"submitted_on": on},
            after={"submitted_on": on},
        )
        return locked


@retry_on_conflict
def record_claim_payment(
    claim: ReimbursementClaim, amount: Decimal, *, received_on: dt.date, reference: str = "", actor: Actor
) -> ReimbursementClaim:
    """Money received from the funder: the claim becomes partly paid or paid."""
    amount = round_fen(Decimal(amount))
    if amount <= 0:
        raise ClaimInvalid(details={"amount": [_("The amount must be more than zero.")]})
    with transaction.atomic(durable=True):
        locked = _lock_claim(claim, actor=actor)
        if locked.status not in {ClaimStatus.SUBMITTED, ClaimStatus.PARTLY_PAID}:
            raise ClaimWrongStatus
        if amount > locked.outstanding:
            raise PaymentExceedsClaim(
                details={"amount": [_("At most %(n)s is still owed.") % {"n": locked.outstanding}]}
            )
        before = {"status": locked.status, "amount_received": locked.amount_received}
        ClaimPayment.objects.create(claim=locked, amount=amount, received_on=received_on, reference=reference[:64])
        ReimbursementClaim.objects.filter(pk=locked.pk).update(amount_received=F("amount_received") + amount)
        locked.refresh_from_db()
        locked.status = ClaimStatus.PAID if locked.amount_received == locked.amount else ClaimStatus.PARTLY_PAID
        locked.save(update_fields=["status", "updated_at"])
        audit.record(
            "record_claim_payment",
            locked,
            actor=actor,
            before=before,
            after={"status": locked.status, "amount_received": locked.amount_received, "payment": amount},
        )
        return locked


@retry_on_conflict
def reject_claim(claim: ReimbursementClaim, reason: str, *, actor: Actor) -> ReimbursementClaim:
    """The funder refused the claim: its cost lines are free to be claimed again."""
    require_text(reason, ClaimInvalid, _("Give the funder's reason."))
    with transaction.atomic(durable=True):
        locked = _lock_claim(claim, actor=actor)
        if locked.status != ClaimStatus.SUBMITTED:
            raise ClaimWrongStatus
        line_ids = list(CostLine.objects.filter(claim=locked).order_by("pk").values_list("pk", flat=True))
        CostLine.objects.filter(pk__in=line_ids).update(claim=None)
        reason = reason.strip()[:255]
        audit.change_status(
            "reject_claim",
            locked,
            ClaimStatus.REJECTED,
            actor=actor,
            stamps={"rejection_reason": reason},
            before={"lines": line_ids},
            after={"rejection_reason": reason},
        )
        return locked
