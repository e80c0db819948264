"""Filing and deciding requests: file, submit, approve, reject, cut, cancel, close."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor, user_of
from baogong.core.errors import require_text
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope, user_scope
from baogong.distribution import locks, stock
from baogong.distribution.actions._common import (
    LineInput,
    _check_status,
    _request_state,
)
from baogong.distribution.choices import (
    CANCELLABLE_STATUSES,
    LIVE_STATUSES,
    RequestChannel,
    RequestStatus,
)
from baogong.distribution.errors import (
    RequestInvalid,
    RequestStateInvalid,
)
from baogong.distribution.models import (
    AllocationReservation,
    Request,
    RequestLine,
    RequestLink,
)
from baogong.inventory.choices import ReservationStatus
from baogong.orgs.models import Site

# --------------------------------------------------------------------------- validation


def _validate_lines(recipient: Site, lines: Sequence[LineInput], actor: Actor) -> None:
    errors: dict[str, list[str]] = {}
    if not recipient.is_active:
        errors.setdefault("recipient", []).append(_("This recipient is not active."))
    if not user_scope(actor).allows(organisation_id=recipient.organisation_id, site_id=recipient.pk):
        errors.setdefault("recipient", []).append(_("You may not file requests for this recipient."))
    if not lines:
        errors.setdefault("lines", []).append(_("Add at least one line."))
    for i, line in enumerate(lines):
        if not isinstance(line.qty, int) or isinstance(line.qty, bool) or line.qty < 1:
            errors.setdefault(f"lines[{i}].qty", []).append(_("Quantities are whole issue units, at least 1."))
        if not isinstance(line.needed_by, dt.date):
            errors.setdefault(f"lines[{i}].needed_by", []).append(_("Enter a date."))
        if not line.item.is_active:
            errors.setdefault(f"lines[{i}].item", []).append(_("This item is not active."))
    if errors:
        raise RequestInvalid(details=errors)


def duplicate_warnings(request: Request) -> list[dict[str, Any]]:
    """Lines of other live requests of the same recipient for the same item with overlapping dates.

    A line covers the days from its request's filing date to its needed-by date.
    """
    start = timezone.localdate(request.created_at)
    warnings: list[dict[str, Any]] = []
    lines = list(request.lines.select_related("item").order_by("id"))
    # the other live lines of every item of the request, read at once (not a query per line)
    others_of: dict[int, list[RequestLine]] = {}
    for other in (
        RequestLine.objects.filter(
            request__recipient_id=request.recipient_id,
            request__status__in=LIVE_STATUSES,
            item_id__in={line.item_id for line in lines},
            needed_by__gte=start,
        )
        .exclude(request_id=request.pk)
        .select_related("request")
        .order_by("request_id", "id")
    ):
        others_of.setdefault(other.item_id, []).append(other)
    for line in lines:
        for other in others_of.get(line.item_id, []):
            other_start = timezone.localdate(other.request.created_at)
            if other_start <= line.needed_by:
                warnings.append(
                    {
                        "item": line.item.code,
                        "item_name": line.item.name,
                        "request": str(other.request),
                        "request_id": other.request_id,
                        "needed_by": other.needed_by.isoformat(),
                        "qty": other.qty,
                    }
                )
    return warnings


# --------------------------------------------------------------------------- filing


def _create(
    recipient: Site,
    lines: Sequence[LineInput],
    *,
    actor: Actor,
    channel: str,
    note: str = "",
    submit: bool = False,
    link: RequestLink | None = None,
    submitter_name: str = "",
    submitter_phone: str = "",
) -> Request:
    now = timezone.now()
    request = Request.objects.create(
        recipient=recipient,
        channel=channel,
        note=note[:500],
        created_by=user_of(actor),
        link=link,
        submitter_name=submitter_name,
        submitter_phone=submitter_phone,
        status=RequestStatus.SUBMITTED if submit else RequestStatus.DRAFT,
        submitted_at=now if submit else None,
        created_at=now,
    )
    request.number = f"RQ{timezone.localdate(now):%Y%m%d}-{request.pk:06d}"
    RequestLine.objects.bulk_create(
        [RequestLine(request=request, item=line.item, qty=line.qty, needed_by=line.needed_by) for line in lines]
    )
    request.warnings = duplicate_warnings(request)
    request.save(update_fields=["number", "warnings"])
    audit.record(
        "file_request",
        request,
        actor=actor,
        after={
            "number": request.number,
            "recipient": recipient.code,
            "channel": channel,
            **_request_state(request),
            "warnings": request.warnings,
        },
    )
    return request


def _require_request_scope(request: Request, actor: Actor) -> None:
    """A request outside the actor's scope is, for that actor, not there (404)."""
    require_scope(actor, organisation_id=request.recipient.organisation_id, site_id=request.recipient_id)


@retry_on_conflict
def file_request(
    recipient: Site,
    lines: Sequence[LineInput],
    *,
    actor: Actor,
    channel: str = RequestChannel.STAFF,
    note: str = "",
    submit: bool = False,
) -> Request:
    """File a request (as a draft, or submitted at once). ``request.warnings`` lists duplicates."""
    _validate_lines(recipient, lines, actor)
    with transaction.atomic(durable=True):
        return _create(recipient, lines, actor=actor, channel=channel, note=note, submit=submit)


@retry_on_conflict
def submit_request(request: Request, *, actor: Actor) -> Request:
    with transaction.atomic(durable=True):
        locked = locks.request_for_update(request.pk)
        _require_request_scope(locked, actor)
        _check_status(locked, [RequestStatus.DRAFT])
        warnings = duplicate_warnings(locked)
        stamps = {"submitted_at": timezone.now(), "warnings": warnings}
        audit.change_status(
            "submit_request", locked, RequestStatus.SUBMITTED, actor=actor, stamps=stamps, after={"warnings": warnings}
        )
        return locked


@retry_on_conflict
def approve_request(request: Request, *, actor: Actor, cuts: Mapping[int, tuple[int, str]] | None = None) -> Request:
    """Approve a submitted request; ``cuts`` maps line ids to (approved quantity, reason)."""
    cuts = dict(cuts or {})
    with transaction.atomic(durable=True):
        locked = locks.request_for_update(request.pk)
        _require_request_scope(locked, actor)
        _check_status(locked, [RequestStatus.SUBMITTED])
        before = _request_state(locked)
        lines = locks.lines_of_request_for_update(locked.pk)
        by_id = {line.pk: line for line in lines}
        errors: dict[str, list[str]] = {}
        for line_id, (qty, reason) in cuts.items():
            line = by_id.get(line_id)
            if line is None:
                errors.setdefault(f"lines.{line_id}", []).append(_("No such line in this request."))
                continue
            if not isinstance(qty, int) or qty < 0 or qty > line.qty:
                errors.setdefault(f"lines.{line_id}.approved_qty", []).append(
                    _("Approve between 0 and %(n)d units.") % {"n": line.qty}
                )
            if qty != line.qty and not reason.strip():
                errors.setdefault(f"lines.{line_id}.cut_reason", []).append(_("Give a reason for the cut."))
        if errors:
            raise RequestInvalid(details=errors)
        for line in lines:
            qty, reason = cuts.get(line.pk, (line.qty, ""))
            line.approved_qty = qty
            line.cut_reason = reason.strip() if qty != line.qty else ""
        RequestLine.objects.bulk_update(lines, ["approved_qty", "cut_reason"])
        locked.status = RequestStatus.APPROVED
        locked.decided_at = timezone.now()
        locked.decided_by = user_of(actor)
        locked.save(update_fields=["status", "decided_at", "decided_by", "updated_at"])
        after = _request_state(locked)
        after["cuts"] = {str(k): {"qty": v[0], "reason": v[1]} for k, v in cuts.items() if v[0] != by_id[k].qty}
        audit.record("approve_request", locked, actor=actor, before=before, after=after)
        return locked


@retry_on_conflict
def reject_request(request: Request, *, reason: str, actor: Actor) -> Request:
    require_text(reason, RequestInvalid, _("Give a reason for the rejection."))
    with transaction.atomic(durable=True):
        locked = locks.request_for_update(request.pk)
        _require_request_scope(locked, actor)
        _check_status(locked, [RequestStatus.SUBMITTED])
        why = reason.strip()[:500]
        stamps = {"rejection_reason": why, "decided_at": timezone.now(), "decided_by": user_of(actor)}
        audit.change_status(
            "reject_request", locked, RequestStatus.REJECTED, actor=actor, stamps=stamps, after={"reason": why}
        )
        return locked


@retry_on_conflict
def cut_request_line(line: RequestLine, qty: int, *, reason: str, actor: Actor) -> RequestLine:
    """Lower an approved quantity (not below what is already allocated), with a reason."""
    require_text(reason, RequestInvalid, _("Give a reason for the cut."), field="cut_reason")
    with transaction.atomic(durable=True):
        request = locks.request_for_update(line.request_id)
        _require_request_scope(request, actor)
        _check_status(request, [RequestStatus.APPROVED, RequestStatus.PARTLY_ALLOCATED, RequestStatus.ALLOCATED])
        locked = locks.line_for_update(line.pk)
        current = locked.approved_qty or 0
        if not isinstance(qty, int) or qty < locked.allocated_qty or qty >= current:
            raise RequestInvalid(
                details={
                    "approved_qty": [
                        _("Cut to a quantity below %(current)d and not below the %(allocated)d already allocated.")
                        % {"current": current, "allocated": locked.allocated_qty}
                    ]
                }
            )
        before = {"approved_qty": current, "cut_reason": locked.cut_reason}
        locked.approved_qty = qty
        locked.cut_reason = reason.strip()[:500]
        locked.save(update_fields=["approved_qty", "cut_reason"])
        _refresh_allocation_status(request)
        audit.record(
            "cut_request_line",
            request,
            actor=actor,
            before={"line": locked.pk, "item": locked.item.code, **before},
            after={"line": locked.pk, "item": locked.item.code, "approved_qty": qty, "cut_reason": locked.cut_reason},
        )
        return locked


@retry_on_conflict
def cancel_request(request: Request, *, reason: str, actor: Actor) -> Request:
    """Cancel with a reason; stock reserved for the request and not yet shipped is released."""
    require_text(reason, RequestInvalid, _("Give a reason for the cancellation."))
    with transaction.atomic(durable=True):
        locked = locks.request_for_update(request.pk)
        _require_request_scope(locked, actor)
        _check_status(locked, CANCELLABLE_STATUSES)
        if locked.lines.filter(shipped_qty__gt=0).exists():
            raise RequestStateInvalid(_("Goods of this request are already on their way; it cannot be cancelled."))
        before = _request_state(locked)
        released = _release_request_reservations(locked, actor=actor)
        why = reason.strip()[:500]
        audit.change_status(
            "cancel_request",
            locked,
            RequestStatus.CANCELLED,
            actor=actor,
            stamps={"cancel_reason": why},
            before=before,
            after={"reason": why, "released_units": released},
        )
        return locked


@retry_on_conflict
def close_request(request: Request, *, actor: Actor) -> Request:
    with transaction.atomic(durable=True):
        locked = locks.request_for_update(request.pk)
        _require_request_scope(locked, actor)
        _check_status(locked, [RequestStatus.DELIVERED])
        audit.change_status("close_request", locked, RequestStatus.CLOSED, actor=actor)
        return locked


def _release_request_reservations(request: Request, *, actor: Actor) -> int:
    """Release the open reservations confirmed allocation runs made for the request's lines.

    The request is locked by the caller; its lines are locked next, then the balances and the
    reservations (the one lock order: request, lines, balances, reservations)."""
    list(locks.lines_for_update(request.lines.values_list("pk", flat=True)))
    reservations = [
        link.reservation
        for link in AllocationReservation.objects.filter(
            line__request_line__request=request, reservation__status=ReservationStatus.ACTIVE
        ).select_related("reservation")
    ]
    released = stock.release_many(reservations, actor=actor)
    RequestLine.objects.filter(request=request).update(allocated_qty=0)
    return released


def _refresh_allocation_status(request: Request) -> None:
    """approved / partly allocated / allocated from the lines' approved and allocated units."""
    if request.status not in (RequestStatus.APPROVED, RequestStatus.PARTLY_ALLOCATED, RequestStatus.ALLOCATED):
        return
    lines = list(request.lines.all())
    allocated = sum(line.allocated_qty for line in lines)
    outstanding = sum(line.outstanding for line in lines)
    if allocated and not outstanding:
        status = RequestStatus.ALLOCATED
    elif allocated:
        status = RequestStatus.PARTLY_ALLOCATED
    else:
        status = RequestStatus.APPROVED
    if status != request.status:
        request.status = status
        request.save(update_fields=["status", "updated_at"])


# --------------------------------------------------------------------------- for other apps' actions


def file_request_in_transaction(
    recipient: Site,
    lines: Sequence[LineInput],
    *,
    actor: Actor,
    channel: str = RequestChannel.STAFF,
    note: str = "",
    submit: bool = False,
) -> Request:
    """:func:`file_request` for another app's action that already holds the transaction.

    Not durable: it runs inside the caller's ``transaction.atomic(durable=True)`` so the caller's
    own writes (e.g. people's guest request linked to this request) commit or roll back with it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("file_request_in_transaction must run inside the caller's transaction")
    _validate_lines(recipient, lines, actor)
    return _create(recipient, lines, actor=actor, channel=channel, note=note, submit=submit)
