"""Every state change of the online pharmacy.

Each action is ONE durable transaction: the order's own rows and its stock (reservations, picks,
deliveries, returns) are written together through the in-transaction primitives of
:mod:`baogong.inventory.ledger`, so a refusal or a crash anywhere leaves nothing half done and
nothing needs undoing. Locks follow ``docs/decisions/0003-lock-order.md``: the order first, then
stock balances, then reservations (the ledger takes those in primary-key order).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.excel import Column, normalise_text, parse_decimal, raise_if_errors, read_rows
from baogong.core.identifiers import mask_phone
from baogong.core.money import round_fen
from baogong.core.retry import retry_on_conflict
from baogong.inventory import ledger
from baogong.inventory.choices import MoveReason, ReservationStatus
from baogong.inventory.errors import InsufficientStock
from baogong.inventory.ledger import MoveInput, ReserveNeed
from baogong.inventory.locations import default_location, in_transit_location, recipient_location
from baogong.inventory.models import Reservation, StockMove
from baogong.orgs.choices import AreaLevel
from baogong.orgs.models import AdministrativeArea
from baogong.pharmacy import locks, queries
from baogong.pharmacy.choices import (
    LONG_TERM_MAX_SUPPLY_DAYS,
    NORMAL_MAX_SUPPLY_DAYS,
    PRESCRIPTION_VALID_DAYS,
    OrderChannel,
    OrderStatus,
    PrescriptionStatus,
    SettlementMethod,
    SettlementStatus,
)
from baogong.pharmacy.errors import (
    AlreadySettled,
    DrugBannedOnline,
    DrugInvalid,
    HandoverCodeWrong,
    OrderInvalid,
    OrderStateInvalid,
    OutOfStock,
    PrescriptionRefused,
    PrescriptionReused,
    SettlementInvalid,
)
from baogong.pharmacy.insurance import QuoteLine, policy_for, split_payment
from baogong.pharmacy.models import Drug, DrugDemand, Order, OrderLine, Prescription, Settlement

PHONE_RE = re.compile(r"^1\d{10}$")
PHOTO_TYPES = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}
PHOTO_MAX_BYTES = 5 * 1024 * 1024
DOCUMENT_TYPE = "pharmacy_order"
RESERVE_ATTEMPTS = 5

DRUG_FIELDS = [
    "generic_name",
    "brand_name",
    "approval_number",
    "dosage_form",
    "strength",
    "pack",
    "sale_class",
    "insurance_class",
    "is_glucose_lowering",
    "online_ban",
    "online_ban_note",
    "unit_price",
    "is_active",
]


# --- drugs ------------------------------------------------------------------------------------
@retry_on_conflict
def save_drug(data: dict[str, Any], *, actor: Any, drug: Drug | None = None) -> Drug:
    """Create the drug record of a catalog item, or change one."""
    with transaction.atomic(durable=True):
        if drug is None:
            target = Drug(item=data["item"])
            before: dict[str, Any] | None = None
        else:
            target = locks.drug_for_update(drug.pk)
            before = audit.snapshot(target)
        for key in DRUG_FIELDS:
            if key in data:
                setattr(target, key, data[key])
        target.approval_number = (target.approval_number or "").strip()
        try:
            target.full_clean()
        except ValidationError as exc:
            raise DrugInvalid(details=exc.message_dict) from exc
        target.save()
        audit.record("save_drug", target, actor=actor, before=before, after=audit.snapshot(target))
        return target


# --- ordering ---------------------------------------------------------------------------------
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
    for magic, extension in PHOTO_TYPES.items():
        if content.startswith(magic):
            return content, extension
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
def record_drug_demand(lines: Sequence[dict[str, Any]], area: AdministrativeArea | None, *, actor: Any) -> int:
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
def place_order(data: OrderInput, *, actor: Any) -> list[Order]:
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
    actor: Any,
) -> list[Order]:
    """Reserve the planned stock and create the orders, inside the caller's transaction.

    Raises inventory's ``InsufficientStock`` before anything of the order is written when a
    pharmacy no longer has the planned units (the caller's transaction then rolls back).
    """
    ledger.require_transaction()
    assert data.area is not None
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
    digits = re.sub(r"[\s-]", "", data.phone)
    card = data.insurance_card.strip()
    orders = []
    for index, (number, assignment) in enumerate(zip(numbers, plan, strict=True)):
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
            # Fees are charged once per basket, on its first order.
            delivery_fee=delivery_fee if index == 0 else Decimal("0.00"),
            packaging_fee=packaging_fee if index == 0 else Decimal("0.00"),
            distance_km=round_fen(Decimal(str(assignment.km))),
            taken_by=actor if data.channel == OrderChannel.PHONE else None,
        )
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    drug=by_pk[pk],
                    qty=qty,
                    unit_price=by_pk[pk].unit_price,
                    insurance_class=by_pk[pk].insurance_class,
                )
                for pk, qty in sorted(assignment.lines.items())
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
                "lines": [{"drug": by_pk[pk].item.code, "qty": q} for pk, q in sorted(assignment.lines.items())],
            },
        )
        orders.append(order)
    return orders


# --- review and dispensing --------------------------------------------------------------------
@dataclass
class PrescriptionCheck:
    number: str
    issuer: str
    patient_name: str
    issued_on: Any  # dt.date
    supply_days: int
    is_long_term: bool = False


def _lock_order(order: Order, *allowed: str) -> Order:
    locked = locks.order_for_update(order.pk)
    if locked.status not in allowed:
        raise OrderStateInvalid(details={"status": [locked.get_status_display()]})
    return locked


def _check_prescription(order: Order, check: PrescriptionCheck | None) -> Prescription | None:
    if not order.needs_prescription:
        return None
    prescription = order.prescriptions.order_by("-id").first()
    if prescription is None:
        raise PrescriptionRefused(details={"prescription": [_("The order has no prescription.")]})
    if check is None:
        raise PrescriptionRefused(details={"prescription": [_("Enter what the prescription says.")]})
    errors: dict[str, list[str]] = {}
    if not check.number.strip():
        errors["number"] = [_("This field is required.")]
    if not check.issuer.strip():
        errors["issuer"] = [_("This field is required.")]
    if check.patient_name.strip() != order.resident_name.strip():
        errors["patient_name"] = [_("The patient on the prescription is not the person ordering.")]
    today = timezone.localdate()
    if check.issued_on is None or check.issued_on > today:
        errors["issued_on"] = [_("Enter the date the prescription was issued.")]
    elif not check.is_long_term and (today - check.issued_on).days > PRESCRIPTION_VALID_DAYS - 1:
        errors["issued_on"] = [
            _("The prescription has expired: it is valid for %(days)d days from the day issued.")
            % {"days": PRESCRIPTION_VALID_DAYS}
        ]
    limit = LONG_TERM_MAX_SUPPLY_DAYS if check.is_long_term else NORMAL_MAX_SUPPLY_DAYS
    if not isinstance(check.supply_days, int) or check.supply_days <= 0:
        errors["supply_days"] = [_("Enter the days of supply.")]
    elif check.supply_days > limit:
        errors["supply_days"] = [_("At most %(days)d days of supply.") % {"days": limit}]
    elif check.is_long_term and check.issued_on and (today - check.issued_on).days >= check.supply_days:
        errors["issued_on"] = [_("The long prescription's supply period is over.")]
    if errors:
        raise PrescriptionRefused(details=errors)
    used = Prescription.objects.filter(status=PrescriptionStatus.USED).exclude(order__basket=order.basket)
    if (
        used.filter(fingerprint=prescription.fingerprint).exists()
        or used.filter(number=check.number.strip(), issuer=check.issuer.strip()).exists()
    ):
        raise PrescriptionReused(details={"prescription": [_("This prescription was already dispensed.")]})
    return prescription


def _active_reservations(order: Order) -> list[Reservation]:
    return list(
        Reservation.objects.filter(reference=order.number, status=ReservationStatus.ACTIVE)
        .select_related("lot", "location", "item")
        .order_by("pk")
    )


def _pick(order: Order, *, actor: Any) -> list[StockMove]:
    """Move the order's reserved lots (FEFO when reserved) to the pharmacy's out-for-delivery location,
    inside the caller's transaction (balances, then the reservations, locked by the ledger)."""
    reservations = _active_reservations(order)
    to = in_transit_location(order.pharmacy)
    lines = [
        MoveInput(item=r.item, lot=r.lot, from_location=r.location, to_location=to, qty=r.qty, reservation=r)
        for r in reservations
    ]
    return ledger.move(
        lines,
        actor=actor,
        reason=MoveReason.DISPENSE,
        reference=order.number,
        document_type=DOCUMENT_TYPE,
        document_id=order.pk,
    )


def _moved_out(order: Order) -> list[StockMove]:
    return list(
        StockMove.objects.filter(document_type=DOCUMENT_TYPE, document_id=order.pk, reason=MoveReason.DISPENSE)
        .select_related("lot", "item", "from_location", "to_location")
        .order_by("pk")
    )


def _move_on(order: Order, to_location: Any, reason: str, *, actor: Any) -> list[StockMove]:
    """Move what was picked for the order out of the courier location (delivered or back to stock),
    inside the caller's transaction."""
    picked = _moved_out(order)
    return ledger.move(
        [
            MoveInput(item=m.item, lot=m.lot, from_location=m.to_location, to_location=to_location, qty=m.qty)
            for m in picked
        ],
        actor=actor,
        reason=reason,
        reference=order.number,
        document_type=DOCUMENT_TYPE,
        document_id=order.pk,
    )


@retry_on_conflict
def approve_order(order: Order, *, check: PrescriptionCheck | None = None, actor: Any) -> Order:
    """The pharmacist approves: the prescription passes the checks and is marked used, stock is picked
    (one transaction: a pick that fails leaves the order placed and the prescription pending)."""
    with transaction.atomic(durable=True):
        locked = _lock_order(order, OrderStatus.PLACED)
        prescription = _check_prescription(locked, check)
        now = timezone.now()
        if prescription is not None and check is not None:
            before_rx = audit.snapshot(prescription, ["status", "number", "issuer", "patient_name", "issued_on"])
            prescription.number = check.number.strip()
            prescription.issuer = check.issuer.strip()
            prescription.patient_name = check.patient_name.strip()
            prescription.issued_on = check.issued_on
            prescription.supply_days = check.supply_days
            prescription.is_long_term = check.is_long_term
            prescription.status = PrescriptionStatus.USED
            prescription.used_at = now
            prescription.save()
            audit.record(
                "use_prescription",
                prescription,
                actor=actor,
                before=before_rx,
                after=audit.snapshot(prescription, ["status", "number", "issuer", "patient_name", "issued_on"]),
            )
        locked.status = OrderStatus.READY
        locked.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.reviewed_at = now
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
        audit.record(
            "approve_order", locked, actor=actor, before={"status": OrderStatus.PLACED}, after={"status": locked.status}
        )
        _pick(locked, actor=actor)
        return locked


@retry_on_conflict
def reject_order(order: Order, reason: str, *, actor: Any) -> Order:
    """The pharmacist rejects the order with a reason; its reserved stock is released."""
    if not reason.strip():
        raise OrderInvalid(details={"reason": [_("Give the reason.")]})
    with transaction.atomic(durable=True):
        locked = _lock_order(order, OrderStatus.PLACED)
        locked.status = OrderStatus.REJECTED
        locked.reject_reason = reason.strip()[:255]
        locked.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["status", "reject_reason", "reviewed_by", "reviewed_at", "updated_at"])
        locked.prescriptions.filter(status=PrescriptionStatus.PENDING).update(status=PrescriptionStatus.REJECTED)
        audit.record(
            "reject_order",
            locked,
            actor=actor,
            before={"status": OrderStatus.PLACED},
            after={"status": locked.status, "reason": locked.reject_reason},
        )
        ledger.release_many(_active_reservations(locked), actor=actor)
        return locked


def _refund(order: Order, reason: str, *, actor: Any) -> None:
    settlement = locks.settlement_for_update(order)
    if settlement is None or settlement.status == SettlementStatus.REFUNDED:
        return
    settlement.status = SettlementStatus.REFUNDED
    settlement.refunded_at = timezone.now()
    settlement.refund_reason = reason[:255]
    settlement.save(update_fields=["status", "refunded_at", "refund_reason", "updated_at"])
    audit.record(
        "refund_settlement",
        settlement,
        actor=actor,
        before={"status": SettlementStatus.SETTLED},
        after={"status": settlement.status, "reason": settlement.refund_reason, "total": settlement.total},
    )


@retry_on_conflict
def cancel_order(order: Order, reason: str, *, actor: Any) -> Order:
    """Cancel before delivery: reservations released or picked stock put back, payment refunded."""
    if not reason.strip():
        raise OrderInvalid(details={"reason": [_("Give the reason.")]})
    with transaction.atomic(durable=True):
        locked = _lock_order(order, OrderStatus.PLACED, OrderStatus.READY)
        before = locked.status
        locked.status = OrderStatus.CANCELLED
        locked.reject_reason = reason.strip()[:255]
        locked.save(update_fields=["status", "reject_reason", "updated_at"])
        _refund(locked, reason.strip(), actor=actor)
        audit.record(
            "cancel_order",
            locked,
            actor=actor,
            before={"status": before},
            after={"status": locked.status, "reason": reason},
        )
        if before == OrderStatus.PLACED:
            ledger.release_many(_active_reservations(locked), actor=actor)
        else:
            _move_on(locked, default_location(locked.pharmacy), MoveReason.RETURN, actor=actor)
        return locked


# --- settlement -------------------------------------------------------------------------------
@retry_on_conflict
def settle_order(
    order: Order,
    *,
    method: str,
    actor: Any,
    transaction_number: str = "",
    current_year: Decimal = Decimal("0"),
    prior_years: Decimal = Decimal("0"),
    policy_code: str | None = None,
) -> Settlement:
    """Record how the order was paid; with the insurance card the split follows the policy."""
    errors: dict[str, list[str]] = {}
    if method not in SettlementMethod.values:
        errors["method"] = [_("Unknown payment method.")]
    txn = transaction_number.strip()
    if method == SettlementMethod.INSURANCE and not txn:
        errors["transaction_number"] = [_("Enter the insurance transaction number.")]
    if current_year < 0 or prior_years < 0:
        errors["account"] = [_("Account balances cannot be negative.")]
    if errors:
        raise SettlementInvalid(details=errors)
    with transaction.atomic(durable=True):
        locked = _lock_order(order, OrderStatus.READY, OrderStatus.OUT_FOR_DELIVERY, OrderStatus.DELIVERED)
        if Settlement.objects.filter(order=locked).exists():
            raise AlreadySettled
        if txn and Settlement.objects.filter(transaction_number=txn).exists():
            raise SettlementInvalid(details={"transaction_number": [_("This transaction number is already recorded.")]})
        lines = [
            QuoteLine(
                drug=line.drug.item.code, unit_price=line.unit_price, qty=line.qty, insurance_class=line.insurance_class
            )
            for line in locked.lines.select_related("drug__item")
        ]
        policy = policy_for(policy_code) if method == SettlementMethod.INSURANCE else None
        if policy is not None:
            split = split_payment(policy, lines, fees=locked.fees, current_year=current_year, prior_years=prior_years)
            parts = {
                "total": split.total,
                "eligible": split.eligible,
                "personal_current": split.personal_current,
                "personal_prior": split.personal_prior,
                "pooled": split.pooled,
                "self_pay": split.self_pay,
            }
        else:
            total = sum((ln.amount for ln in lines), Decimal("0.00")) + locked.fees
            zero = Decimal("0.00")
            parts = {
                "total": total,
                "eligible": zero,
                "personal_current": zero,
                "personal_prior": zero,
                "pooled": zero,
                "self_pay": total,
            }
        settlement = Settlement.objects.create(
            order=locked,
            method=method,
            policy=policy,
            transaction_number=txn,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            **parts,
        )
        audit.record("settle_order", settlement, actor=actor, after=audit.snapshot(settlement))
        return settlement


SETTLEMENT_COLUMNS = [
    Column("order", "订单号 / Order", required=True, example="YD220415123456"),
    Column("transaction_number", "医保交易号 / Insurance transaction", required=True, example="YB20220415000123"),
    Column("personal_current", "当年账户 / Current year", required=True, parse=parse_decimal, example="20.00"),
    Column("personal_prior", "历年账户 / Prior years", required=True, parse=parse_decimal, example="35.00"),
    Column("pooled", "统筹 / Pooled", parse=parse_decimal, example="0.00"),
]


@retry_on_conflict
def import_settlements(file: Any, *, actor: Any) -> int:
    """The insurer's settlement file: one row per paid order, all or nothing. Returns rows imported.

    The insurer's amounts are taken as paid; the rest of the order's total is self-paid.
    """
    rows, errors = read_rows(file, SETTLEMENT_COLUMNS)
    raise_if_errors(errors)
    with transaction.atomic(durable=True):
        numbers = sorted({normalise_text(v["order"]) for _n, v in rows})
        orders = locks.orders_for_update(numbers)
        settled = set(Settlement.objects.filter(order__number__in=numbers).values_list("order__number", flat=True))
        known_txn = set(Settlement.objects.exclude(transaction_number="").values_list("transaction_number", flat=True))
        seen: set[str] = set()
        made = []
        for number, values in rows:
            order = orders.get(normalise_text(values["order"]))
            txn = normalise_text(values["transaction_number"])
            row_errors = []
            if order is None:
                row_errors.append(("order", _("no such order")))
            elif order.number in settled or order.number in seen:
                row_errors.append(("order", _("already settled")))
            elif order.status not in (OrderStatus.READY, OrderStatus.OUT_FOR_DELIVERY, OrderStatus.DELIVERED):
                row_errors.append(("order", _("the order is not approved")))
            if txn in known_txn:
                row_errors.append(("transaction_number", _("already recorded")))
            current = values["personal_current"] or Decimal("0")
            prior = values["personal_prior"] or Decimal("0")
            pooled = values.get("pooled") or Decimal("0")
            if min(current, prior, pooled) < 0:
                row_errors.append(("personal_current", _("amounts cannot be negative")))
            if order is not None and not row_errors:
                total = order.total
                paid = round_fen(current) + round_fen(prior) + round_fen(pooled)
                if paid > total:
                    row_errors.append(("personal_current", _("the insurer paid more than the order total")))
                else:
                    made.append(
                        Settlement(
                            order=order,
                            method=SettlementMethod.INSURANCE,
                            transaction_number=txn,
                            total=total,
                            eligible=paid,
                            personal_current=round_fen(current),
                            personal_prior=round_fen(prior),
                            pooled=round_fen(pooled),
                            self_pay=total - paid,
                            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
                        )
                    )
                    seen.add(order.number)
                    known_txn.add(txn)
            errors.extend({"row": number, "field": f, "message": str(m)} for f, m in row_errors)
        raise_if_errors(errors)
        for settlement in made:
            settlement.save()
            audit.record("import_settlements", settlement, actor=actor, after=audit.snapshot(settlement))
        return len(made)


# --- delivery ---------------------------------------------------------------------------------
@retry_on_conflict
def dispatch_order(order: Order, courier: Any, *, actor: Any) -> Order:
    """Hand the picked order to a courier."""
    if courier is None or not getattr(courier, "is_active", False):
        raise OrderInvalid(details={"courier": [_("Choose an active courier.")]})
    with transaction.atomic(durable=True):
        locked = _lock_order(order, OrderStatus.READY)
        locked.status = OrderStatus.OUT_FOR_DELIVERY
        locked.courier = courier
        locked.dispatched_at = timezone.now()
        locked.save(update_fields=["status", "courier", "dispatched_at", "updated_at"])
        audit.record(
            "dispatch_order",
            locked,
            actor=actor,
            before={"status": OrderStatus.READY},
            after={"status": locked.status, "courier": courier.get_username()},
        )
        return locked


@retry_on_conflict
def confirm_delivery(order: Order, code: str, *, actor: Any) -> Order:
    """Contactless hand-over: the courier enters the code the resident gives; the drugs leave the
    courier location for the recipient (one transaction with the status)."""
    with transaction.atomic(durable=True):
        locked = _lock_order(order, OrderStatus.OUT_FOR_DELIVERY)
        if not secrets.compare_digest((code or "").strip(), locked.handover_code):
            raise HandoverCodeWrong(details={"code": [_("The hand-over code does not match.")]})
        locked.status = OrderStatus.DELIVERED
        locked.delivered_at = timezone.now()
        locked.save(update_fields=["status", "delivered_at", "updated_at"])
        audit.record(
            "confirm_delivery",
            locked,
            actor=actor,
            before={"status": OrderStatus.OUT_FOR_DELIVERY},
            after={"status": locked.status},
        )
        _move_on(locked, recipient_location(locked.pharmacy), MoveReason.DELIVERY, actor=actor)
        return locked


@retry_on_conflict
def record_delivery_failure(order: Order, reason: str, *, actor: Any) -> Order:
    """The courier could not hand over: the drugs go back to the pharmacy's stock, payment refunded."""
    if not reason.strip():
        raise OrderInvalid(details={"reason": [_("Give the reason.")]})
    with transaction.atomic(durable=True):
        locked = _lock_order(order, OrderStatus.OUT_FOR_DELIVERY)
        locked.status = OrderStatus.DELIVERY_FAILED
        locked.failure_reason = reason.strip()[:255]
        locked.save(update_fields=["status", "failure_reason", "updated_at"])
        _refund(locked, reason.strip(), actor=actor)
        audit.record(
            "record_delivery_failure",
            locked,
            actor=actor,
            before={"status": OrderStatus.OUT_FOR_DELIVERY},
            after={"status": locked.status, "reason": locked.failure_reason},
        )
        _move_on(locked, default_location(locked.pharmacy), MoveReason.RETURN, actor=actor)
        return locked
