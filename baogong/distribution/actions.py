"""Every state change of requests, norms, request links and allocation runs."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, OuterRef, Subquery, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core import audit
from baogong.core.audit import SystemActor
from baogong.core.excel import Column, ImportFailed, parse_date, parse_int, raise_if_errors, read_rows
from baogong.core.geo import haversine_km
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import user_scope
from baogong.distribution import allocation as engine
from baogong.distribution import hooks, locks, queries, stock
from baogong.distribution.choices import (
    ALLOCATABLE_STATUSES,
    CANCELLABLE_STATUSES,
    LIVE_STATUSES,
    AllocationRunStatus,
    DiscrepancyKind,
    Disposition,
    RequestChannel,
    RequestStatus,
    ShipmentStatus,
)
from baogong.distribution.errors import (
    AllocationInvalid,
    AllocationStale,
    DeliveryLinkInvalid,
    DispatchRefused,
    RequestInvalid,
    RequestLinkInvalid,
    RequestLinkRateLimited,
    RequestStateInvalid,
    ShipmentInvalid,
    ShipmentStateInvalid,
)
from baogong.distribution.models import (
    AllocationLine,
    AllocationReservation,
    AllocationRun,
    Discrepancy,
    Norm,
    Request,
    RequestLine,
    RequestLink,
    Shipment,
    ShipmentLine,
)
from baogong.inventory import queries as inventory_queries
from baogong.inventory.actions import MoveInput
from baogong.inventory.choices import LocationKind, MoveReason, ReservationStatus
from baogong.inventory.errors import InsufficientStock
from baogong.inventory.locations import default_location, in_transit_location, recipient_location, virtual_location
from baogong.orgs.choices import SiteStatus
from baogong.orgs.models import Site

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def link_rate_limit() -> int:
    """Requests one link may file per hour (``BAOGONG_REQUEST_LINK_PER_HOUR``, default 10)."""
    return int(getattr(settings, "BAOGONG_REQUEST_LINK_PER_HOUR", 10))


@dataclass(frozen=True)
class LineInput:
    item: Item
    qty: int
    needed_by: dt.date


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _request_state(request: Request) -> dict[str, Any]:
    return {
        "status": request.status,
        "lines": [
            {
                "item": line.item.code,
                "qty": line.qty,
                "needed_by": line.needed_by,
                "approved_qty": line.approved_qty,
                "allocated_qty": line.allocated_qty,
            }
            for line in request.lines.select_related("item").order_by("id")
        ],
    }


def _check_status(request: Request, allowed: Sequence[str]) -> None:
    if request.status not in allowed:
        raise RequestStateInvalid(
            _("This step is not allowed while the request is %(status)s.")
            % {"status": RequestStatus(request.status).label},
            details={"status": [request.status]},
        )


# --------------------------------------------------------------------------- validation


def _validate_lines(recipient: Site, lines: Sequence[LineInput], actor: Any) -> None:
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
    for line in request.lines.select_related("item").order_by("id"):
        others = (
            RequestLine.objects.filter(
                request__recipient_id=request.recipient_id,
                request__status__in=LIVE_STATUSES,
                item_id=line.item_id,
                needed_by__gte=start,
            )
            .exclude(request_id=request.pk)
            .select_related("request")
            .order_by("request_id", "id")
        )
        for other in others:
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
    actor: Any,
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
        created_by=_user_or_none(actor),
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


@retry_on_conflict
def file_request(
    recipient: Site,
    lines: Sequence[LineInput],
    *,
    actor: Any,
    channel: str = RequestChannel.STAFF,
    note: str = "",
    submit: bool = False,
) -> Request:
    """File a request (as a draft, or submitted at once). ``request.warnings`` lists duplicates."""
    _validate_lines(recipient, lines, actor)
    with transaction.atomic(durable=True):
        return _create(recipient, lines, actor=actor, channel=channel, note=note, submit=submit)


@retry_on_conflict
def submit_request(request: Request, *, actor: Any) -> Request:
    with transaction.atomic(durable=True):
        locked = locks.request_for_update(request.pk)
        _check_status(locked, [RequestStatus.DRAFT])
        locked.status = RequestStatus.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.warnings = duplicate_warnings(locked)
        locked.save(update_fields=["status", "submitted_at", "warnings", "updated_at"])
        audit.record(
            "submit_request",
            locked,
            actor=actor,
            before={"status": RequestStatus.DRAFT},
            after={"status": locked.status, "warnings": locked.warnings},
        )
        return locked


@retry_on_conflict
def approve_request(request: Request, *, actor: Any, cuts: Mapping[int, tuple[int, str]] | None = None) -> Request:
    """Approve a submitted request; ``cuts`` maps line ids to (approved quantity, reason)."""
    cuts = dict(cuts or {})
    with transaction.atomic(durable=True):
        locked = locks.request_for_update(request.pk)
        _check_status(locked, [RequestStatus.SUBMITTED])
        before = _request_state(locked)
        lines = list(locked.lines.select_for_update().order_by("id"))
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
        locked.decided_by = _user_or_none(actor)
        locked.save(update_fields=["status", "decided_at", "decided_by", "updated_at"])
        after = _request_state(locked)
        after["cuts"] = {str(k): {"qty": v[0], "reason": v[1]} for k, v in cuts.items() if v[0] != by_id[k].qty}
        audit.record("approve_request", locked, actor=actor, before=before, after=after)
        return locked


@retry_on_conflict
def reject_request(request: Request, *, reason: str, actor: Any) -> Request:
    if not reason.strip():
        raise RequestInvalid(details={"reason": [_("Give a reason for the rejection.")]})
    with transaction.atomic(durable=True):
        locked = locks.request_for_update(request.pk)
        _check_status(locked, [RequestStatus.SUBMITTED])
        locked.status = RequestStatus.REJECTED
        locked.rejection_reason = reason.strip()[:500]
        locked.decided_at = timezone.now()
        locked.decided_by = _user_or_none(actor)
        locked.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by", "updated_at"])
        audit.record(
            "reject_request",
            locked,
            actor=actor,
            before={"status": RequestStatus.SUBMITTED},
            after={"status": locked.status, "reason": locked.rejection_reason},
        )
        return locked


@retry_on_conflict
def cut_request_line(line: RequestLine, qty: int, *, reason: str, actor: Any) -> RequestLine:
    """Lower an approved quantity (not below what is already allocated), with a reason."""
    if not reason.strip():
        raise RequestInvalid(details={"cut_reason": [_("Give a reason for the cut.")]})
    with transaction.atomic(durable=True):
        request = locks.request_for_update(line.request_id)
        _check_status(request, [RequestStatus.APPROVED, RequestStatus.PARTLY_ALLOCATED, RequestStatus.ALLOCATED])
        locked = RequestLine.objects.select_for_update().select_related("item").get(pk=line.pk)
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
def cancel_request(request: Request, *, reason: str, actor: Any) -> Request:
    """Cancel with a reason; stock reserved for the request and not yet shipped is released."""
    if not reason.strip():
        raise RequestInvalid(details={"reason": [_("Give a reason for the cancellation.")]})
    with transaction.atomic(durable=True):
        locked = locks.request_for_update(request.pk)
        _check_status(locked, CANCELLABLE_STATUSES)
        if locked.lines.filter(shipped_qty__gt=0).exists():
            raise RequestStateInvalid(_("Goods of this request are already on their way; it cannot be cancelled."))
        before = _request_state(locked)
        released = _release_request_reservations(locked, actor=actor)
        locked.status = RequestStatus.CANCELLED
        locked.cancel_reason = reason.strip()[:500]
        locked.save(update_fields=["status", "cancel_reason", "updated_at"])
        audit.record(
            "cancel_request",
            locked,
            actor=actor,
            before=before,
            after={"status": locked.status, "reason": locked.cancel_reason, "released_units": released},
        )
        return locked


@retry_on_conflict
def close_request(request: Request, *, actor: Any) -> Request:
    with transaction.atomic(durable=True):
        locked = locks.request_for_update(request.pk)
        _check_status(locked, [RequestStatus.DELIVERED])
        before = {"status": locked.status}
        locked.status = RequestStatus.CLOSED
        locked.save(update_fields=["status", "updated_at"])
        audit.record("close_request", locked, actor=actor, before=before, after={"status": locked.status})
        return locked


def _release_request_reservations(request: Request, *, actor: Any) -> int:
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


# --------------------------------------------------------------------------- norms


@retry_on_conflict
def set_norm(item: Item, qty_per_person: Decimal, *, actor: Any, note: str = "") -> Norm:
    """Set the per-person entitlement of an item (issue units per person)."""
    if not isinstance(qty_per_person, Decimal) or not qty_per_person.is_finite() or qty_per_person < 0:
        raise RequestInvalid(details={"qty_per_person": [_("Enter a number of units per person, 0 or more.")]})
    with transaction.atomic(durable=True):
        norm = Norm.objects.select_for_update().filter(item=item).first()
        before = audit.snapshot(norm) if norm else None
        if norm is None:
            norm = Norm(item=item)
        norm.qty_per_person = qty_per_person
        norm.note = note[:255]
        norm.save()
        audit.record("set_norm", norm, actor=actor, before=before, after=audit.snapshot(norm))
        return norm


# --------------------------------------------------------------------------- request links


@retry_on_conflict
def create_request_link(recipient: Site, *, actor: Any, label: str = "") -> RequestLink:
    with transaction.atomic(durable=True):
        link = RequestLink.objects.create(recipient=recipient, label=label[:128], created_by=_user_or_none(actor))
        audit.record(
            "create_request_link",
            link,
            actor=actor,
            after={"recipient": recipient.code, "label": link.label, "token_prefix": link.token[:6]},
        )
        return link


@retry_on_conflict
def revoke_request_link(link: RequestLink, *, actor: Any) -> RequestLink:
    with transaction.atomic(durable=True):
        locked = RequestLink.objects.select_for_update().select_related("recipient").get(pk=link.pk)
        if not locked.is_active:
            raise RequestLinkInvalid(_("This request link is already revoked."))
        locked.is_active = False
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["is_active", "revoked_at", "updated_at"])
        audit.record("revoke_request_link", locked, actor=actor, before={"is_active": True}, after={"is_active": False})
        return locked


def active_link(token: str) -> RequestLink:
    link = RequestLink.objects.select_related("recipient").filter(token=token, is_active=True).first()
    if link is None or not link.recipient.is_active:
        raise RequestLinkInvalid
    return link


@retry_on_conflict
def submit_via_link(
    token: str,
    lines: Sequence[LineInput],
    *,
    submitter_name: str,
    submitter_phone: str,
    note: str = "",
) -> Request:
    """File and submit a request through a no-login link; the submitter's name and phone are kept."""
    link = active_link(token)
    errors: dict[str, list[str]] = {}
    name, phone = submitter_name.strip(), re.sub(r"[\s]", "", submitter_phone)
    if not name:
        errors["submitter_name"] = [_("Enter your name.")]
    if not PHONE_RE.match(phone):
        errors["submitter_phone"] = [_("Enter a mobile number (11 digits) or a landline with area code.")]
    try:
        _validate_lines(link.recipient, lines, SystemActor("request-link"))
    except RequestInvalid as exc:
        errors.update(exc.details)
    if errors:
        raise RequestInvalid(details=errors)
    actor = SystemActor(f"request-link:{name}")
    with transaction.atomic(durable=True):
        locked = RequestLink.objects.select_for_update().select_related("recipient").get(pk=link.pk)
        if not locked.is_active:
            raise RequestLinkInvalid
        since = timezone.now() - dt.timedelta(hours=1)
        if Request.objects.filter(link=locked, created_at__gte=since).count() >= link_rate_limit():
            raise RequestLinkRateLimited
        request = _create(
            locked.recipient,
            lines,
            actor=actor,
            channel=RequestChannel.LINK,
            note=note,
            submit=True,
            link=locked,
            submitter_name=name[:64],
            submitter_phone=phone,
        )
        locked.last_used_at = timezone.now()
        locked.save(update_fields=["last_used_at", "updated_at"])
        return request


# --------------------------------------------------------------------------- Excel import

IMPORT_COLUMNS = [
    Column("recipient", "收货单位编码 / Recipient code", required=True, example="SO-310113002"),
    Column("item", "物资编码 / Item code", required=True, example="N95"),
    Column("qty", "数量 / Quantity", required=True, parse=parse_int, example=100),
    Column("needed_by", "需要日期 / Needed by", required=True, parse=parse_date, example="2022-04-02"),
    Column("reference", "申请单号 / Reference", example="A-1"),
    Column("note", "备注 / Note", example=""),
]


@retry_on_conflict
def import_requests(file: Any, *, actor: Any) -> list[Request]:
    """One submitted request per recipient and reference; all rows or nothing."""
    rows, errors = read_rows(file, IMPORT_COLUMNS)
    recipients = {
        s.code: s for s in Site.objects.filter(code__in={r["recipient"] for _n, r in rows if r.get("recipient")})
    }
    items = {i.code: i for i in Item.objects.filter(code__in={r["item"] for _n, r in rows if r.get("item")})}
    scope = user_scope(actor)
    groups: dict[tuple[str, str], list[LineInput]] = {}
    notes: dict[tuple[str, str], str] = {}
    for number, row in rows:
        site = recipients.get(row.get("recipient") or "")
        item = items.get(row.get("item") or "")
        if row.get("recipient") and site is None:
            errors.append({"row": number, "field": "recipient", "message": _("no such recipient")})
        elif site is not None and not scope.allows(organisation_id=site.organisation_id, site_id=site.pk):
            errors.append({"row": number, "field": "recipient", "message": _("no such recipient")})
        elif site is not None and not site.is_active:
            errors.append({"row": number, "field": "recipient", "message": _("recipient not active")})
        if row.get("item") and item is None:
            errors.append({"row": number, "field": "item", "message": _("no such item")})
        elif item is not None and not item.is_active:
            errors.append({"row": number, "field": "item", "message": _("item not active")})
        qty = row.get("qty")
        if isinstance(qty, int) and qty < 1:
            errors.append({"row": number, "field": "qty", "message": _("at least 1")})
        if site is None or item is None or not isinstance(qty, int) or row.get("needed_by") is None:
            continue
        key = (site.code, row.get("reference") or "")
        groups.setdefault(key, []).append(LineInput(item=item, qty=qty, needed_by=row["needed_by"]))
        if row.get("note"):
            notes[key] = str(row["note"])
    if not rows and not errors:
        raise ImportFailed(_("The sheet has no rows."), details={"rows": []})
    raise_if_errors(errors)
    with transaction.atomic(durable=True):
        made = [
            _create(
                recipients[code],
                lines,
                actor=actor,
                channel=RequestChannel.EXCEL,
                note=notes.get((code, ref), ""),
                submit=True,
            )
            for (code, ref), lines in groups.items()
        ]
        audit.record(
            "import_requests",
            None,
            actor=actor,
            after={"requests": [r.number for r in made], "rows": len(rows)},
            object_repr=_("%(n)d requests imported") % {"n": len(made)},
        )
        return made


# --------------------------------------------------------------------------- allocation runs

BASIS_CAPPED = "capped"  # the entitlement (headcount × norm) is used up


def _check_warehouses(warehouses: Sequence[Site], actor: Any) -> None:
    errors: dict[str, list[str]] = {}
    if not warehouses:
        errors["warehouses"] = [_("Choose at least one warehouse.")]
    scope = user_scope(actor)
    for site in warehouses:
        if site.kind != "warehouse" or not scope.allows(organisation_id=site.organisation_id, site_id=site.pk):
            errors.setdefault("warehouses", []).append(
                _("%(site)s is not a warehouse you may allocate from.") % {"site": site.code}
            )
        elif site.lat is None or site.lon is None:
            errors.setdefault("warehouses", []).append(_("%(site)s has no coordinates.") % {"site": site.code})
    if errors:
        raise AllocationInvalid(details=errors)


@retry_on_conflict
def preview_allocation(
    warehouses: Sequence[Site], *, actor: Any, request_ids: Sequence[int] | None = None
) -> AllocationRun:
    """Run the engine on the open claims and the available stock of the warehouses; store the
    per-line result (tier, share, remainder, sources) as a preview. Nothing is reserved."""
    _check_warehouses(warehouses, actor)
    rows = queries.claims(queries.open_lines(request_ids))
    missing = sorted(
        {
            c.line.request.recipient.code
            for c in rows
            if c.line.request.recipient.lat is None or c.line.request.recipient.lon is None
        }
    )
    if missing:
        raise AllocationInvalid(
            details={
                "recipients": [_("These recipients have no coordinates: %(codes)s") % {"codes": ", ".join(missing)}]
            }
        )
    item_ids = sorted({c.line.item_id for c in rows})
    wh_ids = [w.pk for w in warehouses]
    available = inventory_queries.available(wh_ids, item_ids)
    problem = engine.Problem(
        warehouses=tuple(
            engine.Warehouse(
                id=w.pk,
                lat=float(w.lat),  # type: ignore[arg-type]
                lon=float(w.lon),  # type: ignore[arg-type]
                stock={str(item): available.get((w.pk, item), 0) for item in item_ids},
            )
            for w in warehouses
        ),
        requests=tuple(
            engine.Request(
                id=c.line.pk,
                tier=c.tier,
                lat=float(c.line.request.recipient.lat),  # type: ignore[arg-type]
                lon=float(c.line.request.recipient.lon),  # type: ignore[arg-type]
                needed_by=c.line.needed_by,
                submitted_at=queries.naive_utc(c.line.request.submitted_at),
                lines=(engine.Line(str(c.line.item_id), c.claim),),
            )
            for c in rows
        ),
    )
    result = engine.solve(problem)
    wh_by_id = {w.pk: w for w in warehouses}
    with transaction.atomic(durable=True):
        run = AllocationRun.objects.create(
            created_by=_user_or_none(actor),
            stock_snapshot={f"{w}:{i}": q for (w, i), q in sorted(available.items())},
        )
        run.warehouses.set(warehouses)
        made = []
        for c, r in zip(rows, result.lines, strict=True):
            recipient = c.line.request.recipient
            made.append(
                AllocationLine(
                    run=run,
                    request_line=c.line,
                    tier=c.tier,
                    outstanding=c.outstanding,
                    entitlement=c.entitlement,
                    claim=c.claim,
                    qty=r.qty,
                    basis=BASIS_CAPPED if c.claim == 0 else r.basis,
                    available=r.available,
                    tier_total=r.tier_total,
                    share=r.share,
                    remainder=r.remainder,
                    rank=r.rank,
                    extra_unit=r.extra_unit,
                    sources=[
                        {
                            "warehouse": w,
                            "code": wh_by_id[int(w)].code,
                            "qty": q,
                            "km": round(
                                haversine_km(
                                    float(recipient.lat),  # type: ignore[arg-type]
                                    float(recipient.lon),  # type: ignore[arg-type]
                                    float(wh_by_id[int(w)].lat),  # type: ignore[arg-type]
                                    float(wh_by_id[int(w)].lon),  # type: ignore[arg-type]
                                ),
                                3,
                            ),
                        }
                        for w, q in r.sources
                    ],
                )
            )
        AllocationLine.objects.bulk_create(made, batch_size=1000)
        run.summary = {
            "lines": len(made),
            "claimed": sum(c.claim for c in rows),
            "allocated": sum(r.qty for r in result.lines),
            "cost_unit_km": round(result.total_cost, 3),
            "short_items": sorted(
                {str(c.line.item.code) for c, r in zip(rows, result.lines, strict=True) if r.qty < c.claim}
            ),
        }
        run.save(update_fields=["summary"])
        audit.record(
            "preview_allocation",
            run,
            actor=actor,
            after={"warehouses": [w.code for w in warehouses], **run.summary},
        )
        return run


@retry_on_conflict
def confirm_allocation(run: AllocationRun, *, actor: Any) -> AllocationRun:
    """Reserve the previewed quantities (FEFO lots) and raise the lines' allocated units, in one
    transaction. Refused, with nothing written, when requests or stock changed since the preview.

    Built for runs of ten thousand lines: rows are read as tuples (no model instances), the
    requests and lines are selected by subqueries on the run (no long ``IN`` lists), each
    warehouse's balances are locked and planned once, and the counters and states are set by a
    few set-based ``UPDATE`` statements."""
    with transaction.atomic(durable=True):
        locked = AllocationRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != AllocationRunStatus.PREVIEW:
            raise RequestStateInvalid(_("Only a preview can be confirmed."), details={"status": [locked.status]})
        run_lines = AllocationLine.objects.filter(run=locked, qty__gt=0)
        alines = list(
            run_lines.order_by("id").values_list(
                "pk", "request_line_id", "qty", "sources", "request_line__item_id", "request_line__request_id"
            )
        )
        requests = {
            pk: (status, number or f"#{pk}")
            for pk, status, number in locks.requests_of_lines_for_update(run_lines.values("request_line__request_id"))
        }
        lines = {
            pk: (request_id, max(0, (approved or 0) - allocated))
            for pk, request_id, approved, allocated in locks.request_lines_for_update(
                run_lines.values("request_line_id")
            )
        }
        stale = []
        for _pk, line_id, qty, _sources, _item_id, request_id in alines:
            status, number = requests[request_id]
            outstanding = lines[line_id][1]
            if status not in ALLOCATABLE_STATUSES or outstanding < qty:
                stale.append({"request": number, "line": line_id, "outstanding": outstanding, "allocated": qty})
        if stale:
            raise AllocationStale(details={"lines": stale})
        warehouses = {w.pk: w for w in locked.warehouses.all()}
        items = Item.objects.in_bulk({a[4] for a in alines})
        needs: dict[int, list[stock.ReserveNeed]] = defaultdict(list)
        for pk, _line_id, _qty, sources, item_id, request_id in alines:
            reference = f"{locked}/{requests[request_id][1]}"
            for source in sources:
                needs[int(source["warehouse"])].append(
                    stock.ReserveNeed(key=pk, item=items[item_id], qty=int(source["qty"]), reference=reference)
                )
        links: list[AllocationReservation] = []
        try:
            for wh_id in sorted(needs):
                reserved = stock.reserve_many(warehouses[wh_id], needs[wh_id], actor=actor)
                for key, reservations in reserved.items():
                    links.extend(
                        AllocationReservation(line_id=key, warehouse_id=wh_id, reservation=r, qty=r.qty)
                        for r in reservations
                    )
        except InsufficientStock as exc:
            raise AllocationStale(
                _("Stock changed since the preview; run the allocation again."), details={"stock": exc.details}
            ) from exc
        AllocationReservation.objects.bulk_create(links, batch_size=2000)
        # The lines are locked: raise their counters in one statement, then the requests' states.
        RequestLine.objects.filter(pk__in=run_lines.values("request_line_id")).update(
            allocated_qty=F("allocated_qty") + Subquery(run_lines.filter(request_line=OuterRef("pk")).values("qty")[:1])
        )
        _refresh_run_request_statuses(run_lines.values("request_line__request_id"))
        locked.status = AllocationRunStatus.CONFIRMED
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["status", "confirmed_at", "updated_at"])
        audit.record(
            "confirm_allocation",
            locked,
            actor=actor,
            before={"status": AllocationRunStatus.PREVIEW},
            after={
                "status": locked.status,
                "lines": len(alines),
                "units": sum(a[2] for a in alines),
                "reservations": len(links),
            },
        )
        return locked


def _refresh_run_request_statuses(request_ids: Any) -> None:
    """:func:`_refresh_allocation_status` for the requests a subquery selects (already locked):
    the sums are read per request, the new states written with one ``UPDATE`` per state, each
    selecting its requests by the same sums in SQL (no list of ids)."""
    allocated = Coalesce(Sum("lines__allocated_qty"), 0)
    outstanding = Coalesce(
        Sum(
            Case(
                When(
                    lines__approved_qty__gt=F("lines__allocated_qty"),
                    then=F("lines__approved_qty") - F("lines__allocated_qty"),
                ),
                default=0,
            )
        ),
        0,
    )
    movable = [RequestStatus.APPROVED, RequestStatus.PARTLY_ALLOCATED, RequestStatus.ALLOCATED]
    sums = (
        Request.objects.filter(pk__in=request_ids, status__in=movable)
        .values("pk")
        .annotate(allocated=allocated, outstanding=outstanding)
    )
    targets = {
        RequestStatus.ALLOCATED: sums.filter(allocated__gt=0, outstanding=0),
        RequestStatus.PARTLY_ALLOCATED: sums.filter(allocated__gt=0, outstanding__gt=0),
        RequestStatus.APPROVED: sums.filter(allocated=0),
    }
    now = timezone.now()
    for status, selected in targets.items():
        Request.objects.filter(pk__in=selected.values("pk")).exclude(status=status).update(
            status=status, updated_at=now
        )


@retry_on_conflict
def discard_allocation(run: AllocationRun, *, actor: Any) -> AllocationRun:
    with transaction.atomic(durable=True):
        locked = AllocationRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != AllocationRunStatus.PREVIEW:
            raise RequestStateInvalid(_("Only a preview can be discarded."), details={"status": [locked.status]})
        locked.status = AllocationRunStatus.DISCARDED
        locked.save(update_fields=["status", "updated_at"])
        audit.record(
            "discard_allocation",
            locked,
            actor=actor,
            before={"status": AllocationRunStatus.PREVIEW},
            after={"status": locked.status},
        )
        return locked


# --------------------------------------------------------------------------- shipments


def _check_shipment(shipment: Shipment, allowed: Sequence[str]) -> None:
    if shipment.status not in allowed:
        raise ShipmentStateInvalid(
            _("This step is not allowed while the shipment is %(status)s.")
            % {"status": ShipmentStatus(shipment.status).label},
            details={"status": [shipment.status]},
        )


def _shipment_for_update(pk: int) -> Shipment:
    return Shipment.objects.select_for_update(of=("self",)).select_related("warehouse", "recipient").get(pk=pk)


def _number_shipment(shipment: Shipment) -> None:
    shipment.number = f"SH{timezone.localdate(shipment.created_at):%Y%m%d}-{shipment.pk:06d}"
    shipment.save(update_fields=["number"])


@retry_on_conflict
def plan_shipments(*, actor: Any, warehouses: Sequence[Site] | None = None) -> list[Shipment]:
    """One planned shipment per warehouse and recipient from confirmed, not yet shipped allocations."""
    scope = user_scope(actor)
    with transaction.atomic(durable=True):
        qs = AllocationReservation.objects.filter(
            shipped_qty__lt=F("qty"),
            reservation__status=ReservationStatus.ACTIVE,
            line__request_line__request__status__in=[
                RequestStatus.PARTLY_ALLOCATED,
                RequestStatus.ALLOCATED,
                RequestStatus.DISPATCHED,
            ],
        )
        if warehouses is not None:
            qs = qs.filter(warehouse__in=list(warehouses))
        # The one lock order: the requests, their lines, then the allocations. The allocations are
        # read after the request locks, so a request cancelled meanwhile (its reservations
        # released) is not planned; one that became plannable after our locks waits for the next plan.
        locked_requests = {
            pk
            for pk, _status, _number in locks.requests_of_lines_for_update(qs.values("line__request_line__request_id"))
        }
        locks.request_lines_for_update(qs.values("line__request_line_id"))
        open_allocations = [
            a
            for a in qs.select_for_update(of=("self",))
            .select_related(
                "warehouse",
                "reservation__lot",
                "reservation__location",
                "line__request_line__request__recipient",
                "line__request_line__item",
            )
            .order_by("pk")
            if a.line.request_line.request_id in locked_requests
            and scope.allows(organisation_id=a.warehouse.organisation_id, site_id=a.warehouse_id)
        ]
        groups: dict[tuple[int, int], list[AllocationReservation]] = defaultdict(list)
        for a in open_allocations:
            groups[(a.warehouse_id, a.line.request_line.request.recipient_id)].append(a)
        made = []
        for (_wh, _recipient), allocations in sorted(groups.items()):
            first = allocations[0]
            shipment = Shipment.objects.create(
                warehouse=first.warehouse,
                recipient=first.line.request_line.request.recipient,
                created_by=_user_or_none(actor),
            )
            _number_shipment(shipment)
            lines = []
            for a in allocations:
                qty = min(a.qty - a.shipped_qty, a.reservation.qty)
                if qty <= 0:
                    continue
                lines.append(
                    ShipmentLine(
                        shipment=shipment,
                        allocation=a,
                        request_line=a.line.request_line,
                        item=a.line.request_line.item,
                        lot=a.reservation.lot,
                        from_location=a.reservation.location,
                        reservation=a.reservation,
                        qty=qty,
                        unit_cost=a.reservation.lot.unit_cost,
                    )
                )
                AllocationReservation.objects.filter(pk=a.pk).update(shipped_qty=F("shipped_qty") + qty)
                RequestLine.objects.filter(pk=a.line.request_line_id).update(shipped_qty=F("shipped_qty") + qty)
            ShipmentLine.objects.bulk_create(lines)
            audit.record(
                "plan_shipment",
                shipment,
                actor=actor,
                after={
                    "number": shipment.number,
                    "warehouse": shipment.warehouse.code,
                    "recipient": shipment.recipient.code,
                    "lines": [{"item": li.item.code, "lot": li.lot.batch, "qty": li.qty} for li in lines],
                },
            )
            made.append(shipment)
        return made


@retry_on_conflict
def split_shipment(shipment: Shipment, line_ids: Sequence[int], *, actor: Any) -> Shipment:
    """Move the given lines of a planned shipment to a new planned shipment (same route)."""
    with transaction.atomic(durable=True):
        locked = _shipment_for_update(shipment.pk)
        _check_shipment(locked, [ShipmentStatus.PLANNED])
        own = set(locked.lines.values_list("pk", flat=True))
        wanted = set(line_ids)
        if not wanted or not wanted <= own or wanted == own:
            raise ShipmentInvalid(details={"lines": [_("Choose some, but not all, lines of this shipment.")]})
        new = Shipment.objects.create(
            warehouse=locked.warehouse, recipient=locked.recipient, created_by=_user_or_none(actor)
        )
        _number_shipment(new)
        ShipmentLine.objects.filter(pk__in=wanted).update(shipment=new)
        audit.record("split_shipment", locked, actor=actor, after={"new_shipment": new.number, "lines": sorted(wanted)})
        return new


@retry_on_conflict
def merge_shipments(target: Shipment, other: Shipment, *, actor: Any) -> Shipment:
    """Move every line of ``other`` into ``target``; both planned, same warehouse and recipient."""
    with transaction.atomic(durable=True):
        first, second = sorted([target.pk, other.pk])
        locked = {first: _shipment_for_update(first), second: _shipment_for_update(second)}
        into, source = locked[target.pk], locked[other.pk]
        if into.pk == source.pk or (into.warehouse_id, into.recipient_id) != (source.warehouse_id, source.recipient_id):
            raise ShipmentInvalid(
                details={"shipment": [_("Only shipments of the same warehouse and recipient merge.")]}
            )
        _check_shipment(into, [ShipmentStatus.PLANNED])
        _check_shipment(source, [ShipmentStatus.PLANNED])
        moved = source.lines.update(shipment=into)
        audit.record("merge_shipments", into, actor=actor, after={"merged": source.number, "lines": moved})
        number = source.number
        source.delete()
        audit.record("delete_shipment", None, actor=actor, object_repr=str(number), after={"merged_into": into.number})
        return into


def pick_shipment(shipment: Shipment, *, actor: Any) -> Shipment:
    """The warehouse confirms the pick list (lots and bins as reserved) is picked."""
    return _step(shipment, ShipmentStatus.PLANNED, ShipmentStatus.PICKED, "pick_shipment", "picked_at", actor=actor)


@retry_on_conflict
def _step(shipment: Shipment, source: str, target: str, verb: str, stamp: str, *, actor: Any) -> Shipment:
    with transaction.atomic(durable=True):
        locked = _shipment_for_update(shipment.pk)
        _check_shipment(locked, [source])
        locked.status = target
        setattr(locked, stamp, timezone.now())
        locked.save(update_fields=["status", stamp, "updated_at"])
        audit.record(verb, locked, actor=actor, before={"status": source}, after={"status": target})
        return locked


def dispatch_refusals(shipment: Shipment) -> list[str]:
    """Why the shipment may not leave now: sites locked down or under control, and the reasons of
    every check registered in :mod:`baogong.distribution.hooks` (the fleet's passes and driver
    clearance when a vehicle is assigned)."""
    reasons: list[str] = []
    if shipment.recipient.status == SiteStatus.LOCKED_DOWN:
        reasons.append(_("The destination %(site)s is locked down.") % {"site": shipment.recipient.name})
    if shipment.warehouse.status in (SiteStatus.LOCKED_DOWN, SiteStatus.UNDER_CONTROL):
        reasons.append(
            _("The warehouse %(site)s is %(status)s.")
            % {"site": shipment.warehouse.name, "status": SiteStatus(shipment.warehouse.status).label}
        )
    today = timezone.localdate()
    for check in hooks.DISPATCH_CHECKS:
        reasons.extend(str(r) for r in check(shipment, today))
    return reasons


@retry_on_conflict
def load_shipment(
    shipment: Shipment,
    *,
    actor: Any,
    vehicle_plate: str = "",
    driver_name: str = "",
    driver_phone: str = "",
    vehicle_id: int | None = None,
    driver_id: int | None = None,
) -> Shipment:
    """Record the vehicle and driver and load; refused when a site or the fleet forbids it."""
    with transaction.atomic(durable=True):
        locked = _shipment_for_update(shipment.pk)
        _check_shipment(locked, [ShipmentStatus.PICKED])
        before = audit.snapshot(locked, ["status", "vehicle_id", "vehicle_plate", "driver_id", "driver_name"])
        locked.vehicle_plate = vehicle_plate.strip()[:16] or locked.vehicle_plate
        locked.driver_name = driver_name.strip()[:64] or locked.driver_name
        locked.driver_phone = driver_phone.strip()[:32] or locked.driver_phone
        locked.vehicle_id = vehicle_id if vehicle_id is not None else locked.vehicle_id
        locked.driver_id = driver_id if driver_id is not None else locked.driver_id
        reasons = dispatch_refusals(locked)
        if reasons:
            raise DispatchRefused(" ".join(reasons), details={"reasons": reasons})
        locked.status = ShipmentStatus.LOADED
        locked.loaded_at = timezone.now()
        locked.save()
        audit.record(
            "load_shipment",
            locked,
            actor=actor,
            before=before,
            after=audit.snapshot(locked, ["status", "vehicle_id", "vehicle_plate", "driver_id", "driver_name"]),
        )
        return locked


@retry_on_conflict
def dispatch_shipment(shipment: Shipment, *, actor: Any) -> Shipment:
    """The vehicle leaves: reserved lots move from their bins to the warehouse's in-transit stock."""
    with transaction.atomic(durable=True):
        locked = _shipment_for_update(shipment.pk)
        _check_shipment(locked, [ShipmentStatus.LOADED])
        reasons = dispatch_refusals(locked)
        if reasons:
            raise DispatchRefused(" ".join(reasons), details={"reasons": reasons})
        lines = list(locked.lines.select_related("item", "lot", "from_location", "reservation").order_by("pk"))
        transit = in_transit_location(locked.warehouse)
        stock.move(
            [
                MoveInput(
                    item=li.item,
                    lot=li.lot,
                    from_location=li.from_location,
                    to_location=transit,
                    qty=li.qty,
                    reservation=li.reservation,
                )
                for li in lines
            ],
            actor=actor,
            reason=MoveReason.SHIPMENT,
            reference=str(locked),
            document_id=locked.pk,
        )
        locked.status = ShipmentStatus.IN_TRANSIT
        locked.dispatched_at = timezone.now()
        locked.save(update_fields=["status", "dispatched_at", "updated_at"])
        _refresh_shipping_status({li.request_line.request_id for li in locked.lines.select_related("request_line")})
        audit.record(
            "dispatch_shipment",
            locked,
            actor=actor,
            before={"status": ShipmentStatus.LOADED},
            after={"status": locked.status, "units": sum(li.qty for li in lines)},
        )
        return locked


def _refresh_shipping_status(request_ids: set[int]) -> None:
    """allocated → dispatched → delivered as the requests' shipments leave and arrive."""
    for request in locks.requests_for_update(request_ids):
        if request.status not in (RequestStatus.ALLOCATED, RequestStatus.DISPATCHED):
            continue
        lines = list(request.lines.all())
        if any(line.outstanding or line.shipped_qty < line.allocated_qty for line in lines):
            continue
        states = set(
            ShipmentLine.objects.filter(request_line__request=request).values_list("shipment__status", flat=True)
        )
        if states & {ShipmentStatus.PLANNED, ShipmentStatus.PICKED, ShipmentStatus.LOADED}:
            continue
        status = RequestStatus.DISPATCHED if ShipmentStatus.IN_TRANSIT in states else RequestStatus.DELIVERED
        if status != request.status:
            before = request.status
            request.status = status
            request.save(update_fields=["status", "updated_at"])
            audit.record(
                "deliver_request" if status == RequestStatus.DELIVERED else "dispatch_request",
                request,
                actor=SystemActor("shipments"),
                before={"status": before},
                after={"status": status},
            )


@dataclass(frozen=True)
class DeliveryLineInput:
    line_id: int
    received: int
    damaged: int = 0


def shipment_for_delivery(token: str) -> Shipment:
    """The shipment a delivery link opens: only until it is closed."""
    shipment = Shipment.objects.select_related("warehouse", "recipient").filter(pod_token=token).first()
    if shipment is None or shipment.status == ShipmentStatus.CLOSED:
        raise DeliveryLinkInvalid
    return shipment


@retry_on_conflict
def record_delivery(
    shipment: Shipment,
    lines: Sequence[DeliveryLineInput],
    *,
    received_by: str,
    receiver_phone: str,
    client_token: str,
    actor: Any,
    shortage_disposition: str = Disposition.RETURN,
    reason: str = "",
    photo: Any = None,
    note: str = "",
) -> Shipment:
    """The receiver confirms what arrived. Accepted units move to the recipient; damaged units are
    written off; missing units go back to the warehouse or to loss, with a reason. A retry with
    the same ``client_token`` returns the recorded delivery and changes nothing."""
    errors: dict[str, list[str]] = {}
    token = client_token.strip()
    if not token or len(token) > 64:
        errors["client_token"] = [_("Missing submission token; reload the page.")]
    with transaction.atomic(durable=True):
        locked = _shipment_for_update(shipment.pk)
        if token and locked.delivery_client_token == token:
            return locked  # the same submission again: already recorded
        _check_shipment(locked, [ShipmentStatus.IN_TRANSIT])
        own = {li.pk: li for li in locked.lines.select_related("item", "lot", "request_line").order_by("pk")}
        given = {d.line_id: d for d in lines}
        if set(given) != set(own):
            errors["lines"] = [_("Enter the received quantity of every line.")]
        for line_id, d in given.items():
            line = own.get(line_id)
            if line is None:
                continue
            if d.received < 0 or d.damaged < 0 or d.received + d.damaged > line.qty:
                errors[f"lines.{line_id}"] = [_("Accepted plus damaged must be between 0 and %(n)d.") % {"n": line.qty}]
        if not received_by.strip():
            errors["received_by"] = [_("Enter the receiver's name.")]
        phone = re.sub(r"\s", "", receiver_phone)
        if not PHONE_RE.match(phone):
            errors["receiver_phone"] = [_("Enter a mobile number (11 digits) or a landline with area code.")]
        if shortage_disposition not in Disposition.values:
            errors["shortage_disposition"] = [_("Choose where missing units go.")]
        short = any(d.received < own[i].qty for i, d in given.items() if i in own)
        if short and not reason.strip():
            errors["reason"] = [_("Give a reason for the shortage or damage.")]
        if errors:
            raise ShipmentInvalid(details=errors)
        transit = in_transit_location(locked.warehouse)
        to_recipient = recipient_location(locked.recipient)
        back = default_location(locked.warehouse)
        loss = virtual_location(LocationKind.LOSS)
        moves: dict[str, list[MoveInput]] = defaultdict(list)
        discrepancies = []
        for line_id in sorted(own):
            line, d = own[line_id], given[line_id]
            missing = line.qty - d.received - d.damaged
            if d.received:
                moves[MoveReason.DELIVERY].append(MoveInput(line.item, line.lot, transit, to_recipient, d.received))
            if d.damaged:
                moves[MoveReason.LOSS].append(MoveInput(line.item, line.lot, transit, loss, d.damaged))
                discrepancies.append(
                    Discrepancy(
                        line=line,
                        kind=DiscrepancyKind.DAMAGE,
                        qty=d.damaged,
                        disposition=Disposition.LOSS,
                        reason=reason[:255],
                    )
                )
            if missing:
                if shortage_disposition == Disposition.RETURN:
                    moves[MoveReason.RETURN].append(MoveInput(line.item, line.lot, transit, back, missing))
                else:
                    moves[MoveReason.LOSS].append(MoveInput(line.item, line.lot, transit, loss, missing))
                discrepancies.append(
                    Discrepancy(
                        line=line,
                        kind=DiscrepancyKind.SHORTAGE,
                        qty=missing,
                        disposition=shortage_disposition,
                        reason=reason[:255],
                    )
                )
            line.received_qty = d.received
            line.damaged_qty = d.damaged
        for move_reason in (MoveReason.DELIVERY, MoveReason.RETURN, MoveReason.LOSS):
            if moves[move_reason]:
                stock.move(
                    moves[move_reason], actor=actor, reason=move_reason, reference=str(locked), document_id=locked.pk
                )
        ShipmentLine.objects.bulk_update(list(own.values()), ["received_qty", "damaged_qty"])
        Discrepancy.objects.bulk_create(discrepancies)
        per_request_line: dict[int, int] = defaultdict(int)
        for line_id, d in given.items():
            per_request_line[own[line_id].request_line_id] += d.received
        for rl_id in sorted(per_request_line):
            RequestLine.objects.filter(pk=rl_id).update(delivered_qty=F("delivered_qty") + per_request_line[rl_id])
        locked.status = ShipmentStatus.DELIVERED
        locked.delivered_at = timezone.now()
        locked.received_by = received_by.strip()[:64]
        locked.receiver_phone = phone
        locked.delivery_client_token = token
        locked.delivery_note = note[:500]
        if photo is not None:
            locked.receiver_photo.save(f"{locked.number}.jpg", photo, save=False)
        locked.save()
        _refresh_shipping_status({li.request_line.request_id for li in own.values()})
        audit.record(
            "record_delivery",
            locked,
            actor=actor,
            before={"status": ShipmentStatus.IN_TRANSIT},
            after={
                "status": locked.status,
                "received_by": locked.received_by,
                "lines": [
                    {"line": i, "qty": own[i].qty, "received": given[i].received, "damaged": given[i].damaged}
                    for i in sorted(own)
                ],
                "discrepancies": [
                    {"line": x.line_id, "kind": x.kind, "qty": x.qty, "to": x.disposition} for x in discrepancies
                ],
            },
        )
        return locked


def close_shipment(shipment: Shipment, *, actor: Any) -> Shipment:
    """Close a delivered shipment; its delivery link stops working."""
    return _step(shipment, ShipmentStatus.DELIVERED, ShipmentStatus.CLOSED, "close_shipment", "closed_at", actor=actor)


# --------------------------------------------------------------------------- for other apps' actions


def file_request_in_transaction(
    recipient: Site,
    lines: Sequence[LineInput],
    *,
    actor: Any,
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
