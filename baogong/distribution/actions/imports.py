"""Requests filed, and shipments loaded, from an Excel sheet."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from baogong.catalog.resolvers import items_by_code
from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import DomainError
from baogong.core.excel import Column, ImportFailed, parse_date, parse_int, raise_if_errors, read_rows
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import user_scope
from baogong.distribution import hooks, locks
from baogong.distribution.actions._common import (
    LineInput,
)
from baogong.distribution.actions.requests import _create
from baogong.distribution.actions.shipments import load_locked
from baogong.distribution.choices import (
    RequestChannel,
)
from baogong.distribution.models import (
    Request,
    Shipment,
)
from baogong.orgs.resolvers import sites_by_code

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
def import_requests(file: Any, *, actor: Actor) -> list[Request]:
    """One submitted request per recipient and reference; all rows or nothing."""
    rows, errors = read_rows(file, IMPORT_COLUMNS)
    recipients = sites_by_code(r["recipient"] for _n, r in rows if r.get("recipient"))
    items = items_by_code(r["item"] for _n, r in rows if r.get("item"))
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


# --------------------------------------------------------------------------- loads from Excel

LOAD_COLUMNS = [
    Column("shipment", "发运单号 / Shipment number", required=True, example="SH20220401-000001"),
    Column("vehicle", "车牌 / Vehicle plate", required=True, example="沪B10000"),
    Column("driver", "司机姓名 / Driver", required=True, example="司机01"),
    Column("driver_phone", "司机电话 / Driver phone", example="13700000000"),
]


@retry_on_conflict
def import_loads(file: Any, *, actor: Actor) -> list[Shipment]:
    """Load picked shipments from a sheet (shipment number, plate, driver): each row names a
    registered vehicle and driver and passes the same checks as the load form; all rows or nothing,
    with the reasons per row and field."""
    rows, errors = read_rows(file, LOAD_COLUMNS)
    if not rows and not errors:
        raise ImportFailed(_("The sheet has no rows."), details={"rows": []})
    raise_if_errors(errors)
    scope = user_scope(actor)
    with transaction.atomic(durable=True):
        numbers = {str(row["shipment"]).strip() for _n, row in rows}
        pks = Shipment.objects.filter(number__in=numbers).values_list("pk", flat=True)
        locked = {
            s.number: s
            for s in locks.shipments_for_update(pks)
            if scope.allows(organisation_id=s.warehouse.organisation_id, site_id=s.warehouse_id)
        }
        loaded: list[Shipment] = []
        seen: set[str] = set()
        for number, row in rows:
            key = str(row["shipment"]).strip()
            shipment = locked.get(key)
            if shipment is None:
                errors.append({"row": number, "field": "shipment", "message": _("no such shipment")})
                continue
            if key in seen:
                errors.append({"row": number, "field": "shipment", "message": _("this shipment is on an earlier row")})
                continue
            seen.add(key)
            for registry in hooks.TRANSPORT:
                vehicle_id, driver_id, found = registry.find(
                    shipment,
                    str(row["vehicle"]),
                    str(row["driver"]),
                    str(row.get("driver_phone") or ""),
                    actor=actor,
                )
                for field, reasons in found.items():
                    errors.extend({"row": number, "field": field, "message": str(r)} for r in reasons)
                if found:
                    break
                try:
                    loaded.append(load_locked(shipment, actor=actor, vehicle_id=vehicle_id, driver_id=driver_id))
                except DomainError as exc:
                    details = exc.details if isinstance(exc.details, dict) else {}
                    for field, reasons in details.items():
                        if field == "reasons" or not isinstance(reasons, list):
                            continue
                        target = {"vehicle_id": "vehicle", "driver_id": "driver"}.get(field, field)
                        errors.extend({"row": number, "field": target, "message": str(r)} for r in reasons)
                    if not details:
                        errors.append({"row": number, "field": "shipment", "message": str(exc.message)})
        raise_if_errors(errors)  # raised inside the transaction: every load of the sheet rolls back
        audit.record(
            "import_loads", None, actor=actor, object_repr=_("loads"), after={"shipments": [s.number for s in loaded]}
        )
        return loaded
