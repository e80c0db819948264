"""Guest requests at lodging sites, and their conversion into supply requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import PermissionDenied
from baogong.core.retry import retry_on_conflict
from baogong.orgs.models import Site
from baogong.people import locks
from baogong.people.actions.common import _check_scope, require_site_scope
from baogong.people.choices import GuestRequestKind, GuestRequestStatus
from baogong.people.errors import OccupancyInvalid
from baogong.people.models import GuestRequest, Person


def _guest_line_errors(item: Any, qty: Any, needed_by: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if item is None:
        errors["item"] = ["请选择物资 / choose a catalogue item"]
    elif not item.is_active:
        errors["item"] = ["该物资已停用 / this item is not active"]
    if not isinstance(qty, int) or isinstance(qty, bool) or not 1 <= qty <= 1_000_000:
        errors["qty"] = [
            "数量应为1至1000000的整数（发放单位）/ the quantity is a whole number of issue units, 1 to 1000000"
        ]
    if needed_by is not None and not isinstance(needed_by, dt.date):
        errors["needed_by"] = ["请填写日期 / give a date"]
    elif isinstance(needed_by, dt.date) and needed_by < timezone.localdate():
        errors["needed_by"] = ["需求日期不能早于今天 / the needed-by date cannot be in the past"]
    return errors


def _may_convert(actor: Actor) -> bool:
    return bool(getattr(actor, "has_perm", None) and actor.has_perm("people.convert_guest_request"))


@retry_on_conflict
def record_guest_request(
    person: Person,
    site: Site,
    *,
    kind: str,
    text: str,
    item: Any = None,
    qty: int | None = None,
    needed_by: dt.date | None = None,
    actor: Actor,
) -> GuestRequest:
    """A guest or resident asks for medicine or food.

    When the request already names a catalogue item and quantity and the actor may convert guest
    requests, it becomes a submitted distribution request in the same transaction; otherwise it
    waits (with the item filled in) for staff to convert it.
    """
    errors: dict[str, list[str]] = {}
    if kind not in GuestRequestKind.values:
        errors["kind"] = ["应为药品、食品或其他 / medicine, food or other"]
    if not text.strip():
        errors["text"] = ["请写明需要什么 / say what is needed"]
    if item is not None or qty is not None:
        errors.update(_guest_line_errors(item, qty, needed_by))
    if errors:
        raise OccupancyInvalid(details=errors)
    _check_scope(actor, None, site, OccupancyInvalid)
    with transaction.atomic(durable=True):
        request = GuestRequest.objects.create(
            person=person, site=site, kind=kind, text=text.strip(), item=item, qty=qty, needed_by=needed_by
        )
        audit.record("record_guest_request", request, actor=actor, after=audit.snapshot(request))
        if item is not None and _may_convert(actor):
            request = _convert_guest_request(request, item=item, qty=qty or 0, needed_by=needed_by, actor=actor)
        return request


@retry_on_conflict
def convert_guest_request(
    request: GuestRequest,
    *,
    item: Any = None,
    qty: int | None = None,
    needed_by: dt.date | None = None,
    actor: Actor,
) -> GuestRequest:
    """Turn an open guest request into a submitted distribution request for its site (one
    transaction: the supply request, the link both ways and the audit events commit together).

    Item and quantity default to what the guest request already names; needed-by defaults to
    tomorrow.
    """
    require_site_scope(actor, request.site)
    if not _may_convert(actor):
        raise PermissionDenied(_("You may not turn guest requests into supply requests."))
    item = item if item is not None else request.item
    qty = qty if qty is not None else request.qty
    errors = _guest_line_errors(item, qty, needed_by)
    if errors:
        raise OccupancyInvalid(details=errors)
    with transaction.atomic(durable=True):
        return _convert_guest_request(request, item=item, qty=qty or 0, needed_by=needed_by, actor=actor)


def _convert_guest_request(
    request: GuestRequest, *, item: Any, qty: int, needed_by: dt.date | None, actor: Actor
) -> GuestRequest:
    from baogong.distribution import actions as distribution
    from baogong.distribution.errors import RequestInvalid

    locked = locks.guest_request_for_update(request.pk)
    if locked.status != GuestRequestStatus.OPEN:
        raise OccupancyInvalid(details={"status": ["该需求已处理 / this request was already handled"]})
    needed_by = needed_by or timezone.localdate() + dt.timedelta(days=1)
    stay = locked.person.lodgings.filter(site=locked.site, checked_out_at__isnull=True).select_related("room").first()
    room = f" {stay.room.number}" if stay is not None and stay.room is not None else ""
    note = f"宾客需求 / guest request #{locked.pk} · {locked.site.name}{room}: {locked.text}"
    try:
        supply = distribution.file_request_in_transaction(
            locked.site,
            [distribution.LineInput(item=item, qty=qty, needed_by=needed_by)],
            actor=actor,
            note=note[:500],
            submit=True,
        )
    except RequestInvalid as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        mapped = {key.replace("lines[0].", "").replace("recipient", "site"): value for key, value in details.items()}
        raise OccupancyInvalid(details=mapped or {"item": [str(exc.message)]}) from exc
    before = {"status": locked.status, "supply_request": None}
    locked.item = item
    locked.qty = qty
    locked.needed_by = needed_by
    locked.supply_request = supply
    locked.status = GuestRequestStatus.CONVERTED
    locked.converted_at = timezone.now()
    locked.save(update_fields=["item", "qty", "needed_by", "supply_request", "status", "converted_at", "updated_at"])
    audit.record(
        "convert_guest_request",
        locked,
        actor=actor,
        before=before,
        after={
            "status": locked.status,
            "supply_request": supply.number,
            "item": item.code,
            "qty": qty,
            "needed_by": needed_by,
        },
    )
    return locked


@retry_on_conflict
def fulfil_guest_request(request: GuestRequest, *, note: str = "", actor: Actor) -> GuestRequest:
    require_site_scope(actor, request.site)
    with transaction.atomic(durable=True):
        locked = locks.guest_request_for_update(request.pk)
        if locked.status not in (GuestRequestStatus.OPEN, GuestRequestStatus.CONVERTED):
            raise OccupancyInvalid(details={"status": ["该需求已处理 / this request was already handled"]})
        audit.change_status(
            "fulfil_guest_request",
            locked,
            GuestRequestStatus.FULFILLED,
            actor=actor,
            stamps={"handled_note": note.strip()},
            after={"handled_note": note.strip()},
        )
        return locked
