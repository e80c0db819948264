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
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core import audit
from baogong.core.audit import SystemActor
from baogong.core.excel import Column, ImportFailed, parse_date, parse_int, raise_if_errors, read_rows
from baogong.core.geo import haversine_km
from baogong.core.scoping import user_scope
from baogong.distribution import allocation as engine
from baogong.distribution import locks, queries, stock
from baogong.distribution.choices import (
    ALLOCATABLE_STATUSES,
    CANCELLABLE_STATUSES,
    LIVE_STATUSES,
    AllocationRunStatus,
    RequestChannel,
    RequestStatus,
)
from baogong.distribution.errors import (
    AllocationInvalid,
    AllocationStale,
    RequestInvalid,
    RequestLinkInvalid,
    RequestLinkRateLimited,
    RequestStateInvalid,
)
from baogong.distribution.models import (
    AllocationLine,
    AllocationReservation,
    AllocationRun,
    Norm,
    Request,
    RequestLine,
    RequestLink,
)
from baogong.inventory import queries as inventory_queries
from baogong.inventory.choices import ReservationStatus
from baogong.inventory.errors import InsufficientStock
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
    """Release the open reservations confirmed allocation runs made for the request's lines."""
    links = list(
        AllocationReservation.objects.filter(
            line__request_line__request=request, reservation__status=ReservationStatus.ACTIVE
        ).select_related("reservation")
    )
    released = 0
    for link in sorted(links, key=lambda x: x.reservation_id):
        released += link.reservation.qty
        stock.release(link.reservation, actor=actor)
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


def confirm_allocation(run: AllocationRun, *, actor: Any) -> AllocationRun:
    """Reserve the previewed quantities (FEFO lots) and raise the lines' allocated units, in one
    transaction. Refused, with nothing written, when requests or stock changed since the preview."""
    with transaction.atomic(durable=True):
        locked = AllocationRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != AllocationRunStatus.PREVIEW:
            raise RequestStateInvalid(_("Only a preview can be confirmed."), details={"status": [locked.status]})
        alines = list(
            locked.lines.filter(qty__gt=0).select_related("request_line__item", "request_line__request").order_by("id")
        )
        requests = {r.pk: r for r in locks.requests_for_update({a.request_line.request_id for a in alines})}
        lines = {line.pk: line for line in locks.lines_for_update(a.request_line_id for a in alines)}
        stale = []
        for a in alines:
            line = lines[a.request_line_id]
            if requests[line.request_id].status not in ALLOCATABLE_STATUSES or line.outstanding < a.qty:
                stale.append(
                    {
                        "request": str(requests[line.request_id]),
                        "line": line.pk,
                        "outstanding": line.outstanding,
                        "allocated": a.qty,
                    }
                )
        if stale:
            raise AllocationStale(details={"lines": stale})
        warehouses = {w.pk: w for w in locked.warehouses.all()}
        needs: dict[int, list[stock.ReserveNeed]] = defaultdict(list)
        for a in alines:
            request = requests[a.request_line.request_id]
            for source in a.sources:
                needs[int(source["warehouse"])].append(
                    stock.ReserveNeed(
                        key=a.pk,
                        item=a.request_line.item,
                        qty=int(source["qty"]),
                        reference=f"{locked}/{request.number}",
                    )
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
        AllocationReservation.objects.bulk_create(links, batch_size=1000)
        per_line: dict[int, int] = defaultdict(int)
        for a in alines:
            per_line[a.request_line_id] += a.qty
        for line_id in sorted(per_line):
            RequestLine.objects.filter(pk=line_id).update(allocated_qty=F("allocated_qty") + per_line[line_id])
        for request in requests.values():
            _refresh_allocation_status(request)
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
                "units": sum(per_line.values()),
                "reservations": len(links),
            },
        )
        return locked


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
