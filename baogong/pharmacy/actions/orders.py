"""Placing orders: validate the basket, plan the pharmacies, reserve the stock, create the orders."""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit, uploads
from baogong.core.audit import Actor
from baogong.core.identifiers import mask_phone
from baogong.core.money import round_fen
from baogong.core.retry import retry_on_conflict
from baogong.inventory import ledger
from baogong.inventory.errors import InsufficientStock
from baogong.inventory.ledger import ReserveNeed
from baogong.orgs.choices import AreaLevel
from baogong.orgs.models import AdministrativeArea
from baogong.pharmacy import queries
from baogong.pharmacy.choices import (
    OrderChannel,
)
from baogong.pharmacy.errors import (
    DrugBannedOnline,
    OrderInvalid,
    OutOfStock,
)
from baogong.pharmacy.models import Drug, DrugDemand, Order, OrderLine, Prescription

PHONE_RE = re.compile(r"^1\d{10}$")
PHOTO_TYPES = {"jpeg": "jpg", "png": "png"}  # sniffed kind → stored extension
PHOTO_MAX_BYTES = 5 * 1024 * 1024
RESERVE_ATTEMPTS = 5


@dataclass
class OrderInput:
    lines: Sequence[tuple[Drug, int]]
    resident_name: str
    phone: str
    area: AdministrativeArea | None
    compound: str
    building: str
    room: str
    insurance_card: str = ""
    rx_warning_accepted: bool = False
    prescription_photo: Any = None  # an uploaded file
    channel: str = OrderChannel.ONLINE
    errors: dict[str, list[str]] = field(default_factory=dict)


def _code(length: int, alphabet: str = string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _i in range(length))


def _new_number() -> str:
    stamp = timezone.localtime().strftime("%y%m%d")
    return f"YD{stamp}{_code(6, string.digits)}"


def check_photo(upload: Any) -> tuple[bytes, str]:
    """The bytes and extension of a prescription photo; JPEG or PNG up to 5 MB."""
    size = getattr(upload, "size", None)
    if size is not None and size > PHOTO_MAX_BYTES:
        raise OrderInvalid(details={"prescription_photo": [_("The photo is larger than 5 MB.")]})
    content = upload.read()
    if len(content) > PHOTO_MAX_BYTES:
        raise OrderInvalid(details={"prescription_photo": [_("The photo is larger than 5 MB.")]})
    kind = uploads.sniff(content[:16])
    if kind in PHOTO_TYPES:
        return content, PHOTO_TYPES[kind]
    raise OrderInvalid(details={"prescription_photo": [_("Send a JPEG or PNG photo.")]})


def _validate_order(data: OrderInput) -> dict[Drug, int]:
    errors: dict[str, list[str]] = {}
    if not data.resident_name.strip():
        errors["resident_name"] = [_("This field is required.")]
    if not PHONE_RE.match(re.sub(r"[\s-]", "", data.phone or "")):
        errors["phone"] = [_("Enter an 11-digit mobile number.")]
    if data.area is None or data.area.level not in (AreaLevel.STREET, AreaLevel.TOWN):
        errors["area"] = [_("Choose the street or town.")]
    elif data.area.lat is None or data.area.lon is None:
        errors["area"] = [_("This street or town has no location on the map.")]
    for key in ("compound", "building", "room"):
        if not str(getattr(data, key) or "").strip():
            errors[key] = [_("This field is required.")]
    needs: dict[Drug, int] = {}
    if not data.lines:
        errors["lines"] = [_("Add at least one drug.")]
    for drug, qty in data.lines:
        if not isinstance(qty, int) or qty <= 0 or qty > 100:
            errors["lines"] = [_("Quantities must be whole numbers from 1 to 100.")]
        elif not drug.is_active:
            errors["lines"] = [_("%(drug)s is no longer sold.") % {"drug": drug}]
        else:
            needs[drug] = needs.get(drug, 0) + qty
    if errors:
        raise OrderInvalid(details=errors)
    banned = [d for d in needs if d.is_banned_online]
    if banned:
        raise DrugBannedOnline(
            details={"lines": [_("%(drug)s: %(reason)s") % {"drug": d, "reason": d.ban_reason} for d in banned]}
        )
    if any(d.is_rx for d in needs):
        if not data.rx_warning_accepted:
            errors["rx_warning_accepted"] = [_("Confirm that you have read the prescription-drug warning.")]
        if data.prescription_photo is None:
            errors["prescription_photo"] = [_("Prescription drugs need a photo of the prescription.")]
    if errors:
        raise OrderInvalid(details=errors)
    return needs


@retry_on_conflict
def record_drug_demand(lines: Sequence[dict[str, Any]], area: AdministrativeArea | None, *, actor: Actor) -> int:
    """Remember drugs residents asked for that nobody could supply (the shortage list)."""
    with transaction.atomic(durable=True):
        rows = []
        for line in lines:
            drug = Drug.objects.filter(item__code=line["drug"]).first()
            if drug is not None:
                rows.append(DrugDemand(drug=drug, area=area, qty=int(line["requested"])))
        DrugDemand.objects.bulk_create(rows)
        for row in rows:
            audit.record("record_drug_demand", row, actor=actor, after={"drug": row.drug_id, "qty": row.qty})
        return len(rows)


@retry_on_conflict
def place_order(data: OrderInput, *, actor: Actor) -> list[Order]:
    """Order drugs: validate, pick the nearest pharmacy that can fill the basket (or split it),
    reserve the stock there and create one order per pharmacy. Returns the orders.

    Each attempt is one transaction: the reservations and the orders are written together or not
    at all. When another order took the stock between planning and reserving, the attempt rolls
    back whole and the basket is planned again (at most ``RESERVE_ATTEMPTS`` times). A basket
    nobody can fill is refused with :class:`OutOfStock`; the shortage is remembered by
    ``record_drug_demand``, an action of its own that commits although the order is refused.
    """
    needs = _validate_order(data)
    photo: tuple[bytes, str] | None = None
    if data.prescription_photo is not None and any(d.is_rx for d in needs):
        photo = check_photo(data.prescription_photo)
    assert data.area is not None
    lat, lon = float(data.area.lat or 0), float(data.area.lon or 0)
    basket = _new_number()
    for attempt in range(RESERVE_ATTEMPTS):
        plan, short = queries.plan_fulfilment(needs, lat, lon)
        if short:
            record_drug_demand(short, data.area, actor=actor)
            raise OutOfStock(lines=short)
        try:
            with transaction.atomic(durable=True):
                return _reserve_and_create(data, needs, plan, basket, photo, actor=actor)
        except InsufficientStock as exc:  # another order took the stock between planning and reserving
            if attempt == RESERVE_ATTEMPTS - 1:
                raise OutOfStock(lines=exc.lines) from exc
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _reserve_and_create(
    data: OrderInput,
    needs: dict[Drug, int],
    plan: list[queries.Assignment],
    basket: str,
    photo: tuple[bytes, str] | None,
    *,
    actor: Actor,
) -> list[Order]:
    """Reserve the planned stock and create the orders, inside the caller's transaction.

    Raises inventory's ``InsufficientStock`` before anything of the order is written when a
    pharmacy no longer has the planned units (the caller's transaction then rolls back).
    """
    ledger.require_transaction()
    by_pk = {d.pk: d for d in needs}
    numbers = [basket if len(plan) == 1 else f"{basket}-{i + 1}" for i in range(len(plan))]
    # Reserve first (nothing of the order is written when stock is short), pharmacy by pharmacy in
    # site pk order so two baskets split over the same pharmacies lock their balances in one order.
    for number, assignment in sorted(zip(numbers, plan, strict=True), key=lambda p: p[1].site.pk):
        ledger.reserve_many(
            assignment.site,
            [
                ReserveNeed(key=drug_pk, item=by_pk[drug_pk].item, qty=qty, reference=number)
                for drug_pk, qty in sorted(assignment.lines.items())
            ],
            actor=actor,
        )
    delivery_fee, packaging_fee = queries.current_fees()
    zero = Decimal("0.00")
    return [
        # Fees are charged once per basket, on its first order.
        _create_order(
            data,
            number,
            basket,
            assignment,
            by_pk,
            photo,
            fees=(delivery_fee, packaging_fee) if index == 0 else (zero, zero),
            actor=actor,
        )
        for index, (number, assignment) in enumerate(zip(numbers, plan, strict=True))
    ]


def _create_order(
    data: OrderInput,
    number: str,
    basket: str,
    assignment: queries.Assignment,
    by_pk: dict[int, Drug],
    photo: tuple[bytes, str] | None,
    *,
    fees: tuple[Decimal, Decimal],
    actor: Actor,
) -> Order:
    """One pharmacy's order of the basket, its lines and prescription photo, audited ``place_order``."""
    assert data.area is not None
    digits = re.sub(r"[\s-]", "", data.phone)
    card = data.insurance_card.strip()
    order = Order.objects.create(
        number=number,
        basket=basket,
        access_code=_code(6),
        handover_code=_code(4),
        pharmacy=assignment.site,
        channel=data.channel,
        resident_name=data.resident_name.strip()[:64],
        phone_masked=mask_phone(digits),
        area=data.area,
        compound=data.compound.strip()[:128],
        building=data.building.strip()[:32],
        room=data.room.strip()[:32],
        insurance_card_masked=mask_phone(card) if card else "",
        rx_warning_accepted=data.rx_warning_accepted,
        delivery_fee=fees[0],
        packaging_fee=fees[1],
        distance_km=round_fen(Decimal(str(assignment.km))),
        taken_by=actor if data.channel == OrderChannel.PHONE else None,
    )
    lines = sorted(assignment.lines.items())
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                drug=by_pk[pk],
                qty=qty,
                unit_price=by_pk[pk].unit_price,
                insurance_class=by_pk[pk].insurance_class,
            )
            for pk, qty in lines
        ]
    )
    if photo is not None and any(by_pk[pk].is_rx for pk in assignment.lines):
        content, extension = photo
        prescription = Prescription(order=order, fingerprint=hashlib.sha256(content).hexdigest())
        prescription.photo.save(f"rx.{extension}", ContentFile(content), save=False)
        prescription.save()
    audit.record(
        "place_order",
        order,
        actor=actor,
        after={
            "number": order.number,
            "pharmacy": assignment.site.code,
            "channel": order.channel,
            "lines": [{"drug": by_pk[pk].item.code, "qty": q} for pk, q in lines],
        },
    )
    return order
