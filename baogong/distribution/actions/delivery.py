"""Proof of delivery: what the receiver confirms arrived."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.field import StaleVersion
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope
from baogong.core.uploads import IMAGE_KINDS, UploadRefused, check_upload
from baogong.distribution import locks, stock
from baogong.distribution.actions._common import (
    PHONE_RE,
    _check_shipment,
)
from baogong.distribution.actions.shipments import _refresh_shipping_status
from baogong.distribution.choices import (
    DiscrepancyKind,
    Disposition,
    ShipmentStatus,
)
from baogong.distribution.errors import (
    DeliveryLinkInvalid,
    ShipmentInvalid,
)
from baogong.distribution.models import (
    DeliveryPhoto,
    Discrepancy,
    RequestLine,
    Shipment,
    ShipmentLine,
)
from baogong.inventory.actions import MoveInput
from baogong.inventory.choices import LocationKind, MoveReason
from baogong.inventory.locations import default_location, in_transit_location, recipient_location, virtual_location
from baogong.inventory.models import Location

MAX_DELIVERY_PHOTOS = 10
PHOTO_SUFFIXES = ("jpg", "jpeg", "png", "gif", "webp")


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
    actor: Actor,
    shortage_disposition: str = Disposition.RETURN,
    reason: str = "",
    photo: Any = None,
    photos: Sequence[Any] = (),
    note: str = "",
    based_on: str = "",
) -> Shipment:
    """The receiver confirms what arrived. Accepted units move to the recipient; damaged units are
    written off; missing units go back to the warehouse or to loss, with a reason. A retry with
    the same ``client_token`` returns the recorded delivery and changes nothing. ``based_on`` (a
    phone's offline confirmation): the shipment's version the page showed; when it changed since,
    ``StaleVersion`` is raised and nothing is written (the caller keeps the event for review).
    ``photos`` (and ``photo``): the receiver's photos, each through the upload guard, all or none."""
    errors: dict[str, list[str]] = _photo_errors(all_photos := [*([photo] if photo is not None else []), *photos])
    token = client_token.strip()
    if not token or len(token) > 64:
        errors["client_token"] = [_("Missing submission token; reload the page.")]
    with transaction.atomic(durable=True):
        locked = locks.shipment_for_update(shipment.pk)
        require_scope(actor, organisation_id=locked.warehouse.organisation_id, site_id=locked.warehouse_id)
        if token and locked.delivery_client_token == token:
            return locked  # the same submission again: already recorded
        if based_on and locked.delivery_version() != based_on:
            raise StaleVersion(current=locked.delivery_version(), reason=_stale_reason(locked))
        _check_shipment(locked, [ShipmentStatus.IN_TRANSIT])
        own = {li.pk: li for li in locked.lines.select_related("item", "lot", "request_line").order_by("pk")}
        given = {d.line_id: d for d in lines}
        phone = re.sub(r"\s", "", receiver_phone)
        errors.update(_delivery_errors(own, given, received_by, phone, shortage_disposition, reason))
        if errors:
            raise ShipmentInvalid(details=errors)
        moves, discrepancies = _delivery_moves(locked, own, given, shortage_disposition, reason)
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
        stored = _store_photos(locked, all_photos)
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
                "photos": stored,
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


def _photo_errors(photos: Sequence[Any]) -> dict[str, list[str]]:
    """The upload guard on each new photo (those a phone's queue sent were checked on arrival)."""
    if len(photos) > MAX_DELIVERY_PHOTOS:
        return {"photo": [_("At most %(n)d photos at once.") % {"n": MAX_DELIVERY_PHOTOS}]}
    problems = []
    for upload in photos:
        if isinstance(upload, UploadedFile):
            try:
                check_upload(upload, field="photo", kinds=IMAGE_KINDS)
            except UploadRefused as exc:
                problems += [f"{upload.name}: {message}" for message in exc.details.get("photo", [])]
    return {"photo": problems} if problems else {}


def _store_photos(shipment: Shipment, photos: Sequence[Any]) -> list[str]:
    """Keep every photo of the delivery; the first is also the shipment's ``receiver_photo``."""
    names = []
    for n, upload in enumerate(photos, 1):
        name = str(getattr(upload, "name", "") or "").rsplit("/", 1)[-1]
        suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        row = DeliveryPhoto(shipment=shipment, original_name=name[:255], size=getattr(upload, "size", 0) or 0)
        row.file.save(f"{shipment.number}-{n}.{suffix if suffix in PHOTO_SUFFIXES else 'jpg'}", upload, save=False)
        row.save()
        names.append(row.original_name or row.file.name)
        if n == 1:
            shipment.receiver_photo.name = row.file.name
    return names


def _stale_reason(shipment: Shipment) -> str:
    if shipment.status in (ShipmentStatus.DELIVERED, ShipmentStatus.CLOSED):
        return _("Someone else confirmed this delivery meanwhile.")
    return _("The shipment was changed (re-planned or split) after the page was opened.")


def _delivery_errors(
    own: Mapping[int, ShipmentLine],
    given: Mapping[int, DeliveryLineInput],
    received_by: str,
    phone: str,
    shortage_disposition: str,
    reason: str,
) -> dict[str, list[str]]:
    """Field errors of a delivery (the receiver's quantities, name, phone, disposition, reason)."""
    errors: dict[str, list[str]] = {}
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
    if not PHONE_RE.match(phone):
        errors["receiver_phone"] = [_("Enter a mobile number (11 digits) or a landline with area code.")]
    if shortage_disposition not in Disposition.values:
        errors["shortage_disposition"] = [_("Choose where missing units go.")]
    short = any(d.received < own[i].qty for i, d in given.items() if i in own)
    if short and not reason.strip():
        errors["reason"] = [_("Give a reason for the shortage or damage.")]
    return errors


def _delivery_moves(
    shipment: Shipment,
    own: Mapping[int, ShipmentLine],
    given: Mapping[int, DeliveryLineInput],
    shortage_disposition: str,
    reason: str,
    places: dict[tuple[str, int], Location] | None = None,
) -> tuple[dict[str, list[MoveInput]], list[Discrepancy]]:
    """The stock moves (by reason) and discrepancies of a delivery; sets each line's received and
    damaged units (saved by the caller). ``places``: the locations already found in this batch
    (kind, site id), filled as it goes."""
    found = {} if places is None else places
    if ("transit", shipment.warehouse_id) not in found:
        found["transit", shipment.warehouse_id] = in_transit_location(shipment.warehouse)
        found["back", shipment.warehouse_id] = default_location(shipment.warehouse)
    if ("recipient", shipment.recipient_id) not in found:
        found["recipient", shipment.recipient_id] = recipient_location(shipment.recipient)
    if ("loss", 0) not in found:
        found["loss", 0] = virtual_location(LocationKind.LOSS)
    transit, back = found["transit", shipment.warehouse_id], found["back", shipment.warehouse_id]
    to_recipient, loss = found["recipient", shipment.recipient_id], found["loss", 0]
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
    return moves, discrepancies
