"""A lot's QC status, and quarantining a lot wherever it lies."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from baogong.catalog.models import Category
from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.inventory import locks
from baogong.inventory.actions.common import _apply, _Leg, _lock_legs
from baogong.inventory.choices import STOCK_KINDS, LocationKind, MoveReason, QcPolicy, QcStatus, ReservationStatus
from baogong.inventory.errors import StockInvalid
from baogong.inventory.locations import quarantine_location
from baogong.inventory.models import Lot, QcRule, Reservation, StockBalance, StockMove
from baogong.inventory.qc_gate import may_release


# --- QC rules ---------------------------------------------------------------------------------
@retry_on_conflict
def set_qc_rule(category: Category, policy: str | None, *, actor: Actor) -> QcRule | None:
    """Set (or with ``None`` remove) a category's incoming-inspection rule; only QC staff may. Audited."""
    if not may_release(actor):
        raise StockInvalid(details={"policy": [_("Only QC staff may change the QC rules.")]})
    if policy is not None and policy not in QcPolicy.values:
        raise StockInvalid(details={"policy": [_("Unknown QC policy.")]})
    with transaction.atomic(durable=True):
        current = locks.qc_rule_for_update(category.pk)
        before = {"policy": current.policy if current else None}
        rule: QcRule | None
        if policy is None:
            if current is not None:
                current.delete()
            rule = None
        else:
            rule, _created = QcRule.objects.update_or_create(category=category, defaults={"policy": policy})
        audit.record(
            "set_qc_rule", category, actor=actor, before=before, after={"category": category.code, "policy": policy}
        )
        return rule


# --- QC ---------------------------------------------------------------------------------------
@retry_on_conflict
def set_lot_qc_status(lot: Lot, status: str, *, reason: str, actor: Actor) -> Lot:
    """Release, quarantine or reject a lot. Leaving 'released' releases its open reservations."""
    if status not in QcStatus.values:
        raise StockInvalid(details={"status": [_("Unknown QC status.")]})
    if status != QcStatus.RELEASED and not reason.strip():
        raise StockInvalid(details={"reason": [_("Give a reason.")]})
    if status == QcStatus.RELEASED and not may_release(actor):
        raise StockInvalid(details={"status": [_("Only QC staff may release a lot.")]})
    with transaction.atomic(durable=True):
        locked = _set_qc(lot, status, reason=reason)
        before = {"qc_status": lot.qc_status}
        audit.record(
            "set_lot_qc_status", locked, actor=actor, before=before, after={"qc_status": status, "reason": reason}
        )
        return locked


def _set_qc(lot: Lot, status: str, *, reason: str) -> Lot:
    balances = locks.lock_balances(StockBalance.objects.filter(lot=lot))
    locked = locks.lot_for_update(lot.pk)
    if status != QcStatus.RELEASED:
        _drop_reservations(balances)
    locked.qc_status = status
    locked.qc_reason = reason.strip()[:255]
    locked.save(update_fields=["qc_status", "qc_reason"])
    return locked


def _drop_reservations(balances: list[StockBalance]) -> None:
    ids = [b.pk for b in balances if b.reserved]
    if not ids:
        return
    StockBalance.objects.filter(pk__in=ids).update(reserved=0)
    Reservation.objects.filter(balance_id__in=ids, status=ReservationStatus.ACTIVE).update(
        qty=0, status=ReservationStatus.RELEASED
    )


@retry_on_conflict
def quarantine_lot_everywhere(lot: Lot, *, reason: str, actor: Actor) -> list[StockMove]:
    """Quarantine the lot and move every unit of it held in stores or in transit to quarantine."""
    if not reason.strip():
        raise StockInvalid(details={"reason": [_("Give a reason.")]})
    with transaction.atomic(durable=True):
        before = Lot.objects.get(pk=lot.pk).qc_status
        held = list(
            StockBalance.objects.filter(
                lot=lot, on_hand__gt=0, location__kind__in=[*STOCK_KINDS, LocationKind.IN_TRANSIT]
            ).select_related("location", "location__site")
        )
        targets = {b.location.site_id: quarantine_location(b.location.site) for b in held if b.location.site}
        locked_lot = _set_qc(lot, QcStatus.QUARANTINED, reason=reason)
        legs = [
            _Leg(
                lot=locked_lot,
                from_location=b.location,
                to_location=targets[b.location.site_id],
                qty=b.on_hand,
                unit_cost=locked_lot.unit_cost,
            )
            for b in held
            if b.location.site_id
        ]
        moves: list[StockMove] = []
        if legs:
            locked = _lock_legs(legs)
            for leg in legs:  # quantities re-read under the lock
                leg.qty = locked[(leg.lot.pk, leg.from_location.pk)].on_hand
            legs = [leg for leg in legs if leg.qty > 0]
            if legs:
                moves = _apply(
                    legs,
                    locked,
                    actor=actor,
                    reason=MoveReason.QUARANTINE,
                    note=reason,
                    reference=f"QC {locked_lot.batch}",
                    document_type="lot",
                    document_id=locked_lot.pk,
                )
        audit.record(
            "quarantine_lot_everywhere",
            locked_lot,
            actor=actor,
            before={"qc_status": before},
            after={
                "qc_status": QcStatus.QUARANTINED,
                "reason": reason,
                "moved": [{"from": str(m.from_location), "qty": m.qty} for m in moves],
            },
        )
        return moves
