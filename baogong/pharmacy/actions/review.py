"""The pharmacist's review: approve (prescription checked and used, stock picked), reject, cancel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import require_text
from baogong.core.retry import retry_on_conflict
from baogong.inventory import ledger
from baogong.inventory.choices import MoveReason
from baogong.inventory.locations import default_location
from baogong.pharmacy.actions.handling import _active_reservations, _lock_order, _move_on, _pick, _refund
from baogong.pharmacy.choices import (
    LONG_TERM_MAX_SUPPLY_DAYS,
    NORMAL_MAX_SUPPLY_DAYS,
    PRESCRIPTION_VALID_DAYS,
    OrderStatus,
    PrescriptionStatus,
)
from baogong.pharmacy.errors import (
    OrderInvalid,
    PrescriptionRefused,
    PrescriptionReused,
)
from baogong.pharmacy.models import Order, Prescription


@dataclass
class PrescriptionCheck:
    number: str
    issuer: str
    patient_name: str
    issued_on: Any  # dt.date
    supply_days: int
    is_long_term: bool = False


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


@retry_on_conflict
def approve_order(order: Order, *, check: PrescriptionCheck | None = None, actor: Actor) -> Order:
    """The pharmacist approves: the prescription passes the checks and is marked used, stock is picked
    (one transaction: a pick that fails leaves the order placed and the prescription pending)."""
    with transaction.atomic(durable=True):
        locked = _lock_order(order, OrderStatus.PLACED, actor=actor)
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
        audit.change_status(
            "approve_order",
            locked,
            OrderStatus.READY,
            actor=actor,
            stamps={"reviewed_by": audit.user_of(actor), "reviewed_at": now},
        )
        _pick(locked, actor=actor)
        return locked


@retry_on_conflict
def reject_order(order: Order, reason: str, *, actor: Actor) -> Order:
    """The pharmacist rejects the order with a reason; its reserved stock is released."""
    require_text(reason, OrderInvalid, _("Give the reason."))
    with transaction.atomic(durable=True):
        locked = _lock_order(order, OrderStatus.PLACED, actor=actor)
        audit.change_status(
            "reject_order",
            locked,
            OrderStatus.REJECTED,
            actor=actor,
            stamps={
                "reject_reason": reason.strip()[:255],
                "reviewed_by": audit.user_of(actor),
                "reviewed_at": timezone.now(),
            },
            after={"reason": reason.strip()[:255]},
        )
        locked.prescriptions.filter(status=PrescriptionStatus.PENDING).update(status=PrescriptionStatus.REJECTED)
        ledger.release_many(_active_reservations(locked), actor=actor)
        return locked


@retry_on_conflict
def cancel_order(order: Order, reason: str, *, actor: Actor) -> Order:
    """Cancel before delivery: reservations released or picked stock put back, payment refunded."""
    require_text(reason, OrderInvalid, _("Give the reason."))
    with transaction.atomic(durable=True):
        locked = _lock_order(order, OrderStatus.PLACED, OrderStatus.READY, actor=actor)
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
