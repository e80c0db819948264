"""Lot states other apps set inside their own transaction (like :mod:`baogong.inventory.ledger`).

Procurement's inspection decides a lot's QC status (:func:`set_qc_status`) and its counterfeit
response quarantines lots everywhere (:func:`quarantine_everywhere`) and flags the lot
(:func:`mark_suspected_counterfeit`), each in the one transaction that records the inspection or
opens the case, instead of writing ``Lot`` or the ledger itself. Lock order (decision 0003):
missing quarantine balances inserted first, then the lots' balances (pk order), then the lots
(pk order); reservations on those balances are released after the balances are locked.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import require_text
from baogong.inventory import locks
from baogong.inventory.choices import STOCK_KINDS, LocationKind, MoveReason, QcStatus, ReservationStatus
from baogong.inventory.errors import StockInvalid
from baogong.inventory.ledger import require_transaction
from baogong.inventory.ledger.common import _Leg, apply_legs
from baogong.inventory.locations import quarantine_location
from baogong.inventory.models import Lot, Reservation, StockBalance, StockMove
from baogong.inventory.qc_gate import may_release

__all__ = ["mark_suspected_counterfeit", "quarantine_everywhere", "set_qc_status"]


def set_qc_status(lot: Lot, status: str, *, reason: str, actor: Actor) -> tuple[Lot, str]:
    """Release, quarantine or reject a lot inside the caller's transaction; answers the locked lot and
    its status before (the caller refuses, rolling back, when that status is not the one it expected).

    Locks the lot's balances (pk order), then the lot; leaving "released" releases its reservations.
    Only QC staff may release. Records ``set_lot_qc_status``.
    """
    require_transaction()
    if status not in QcStatus.values:
        raise StockInvalid(details={"status": [_("Unknown QC status.")]})
    if status != QcStatus.RELEASED and not reason.strip():
        raise StockInvalid(details={"reason": [_("Give a reason.")]})
    if status == QcStatus.RELEASED and not may_release(actor):
        raise StockInvalid(details={"status": [_("Only QC staff may release a lot.")]})
    balances = locks.lock_balances(StockBalance.objects.filter(lot_id=lot.pk))
    locked = locks.lot_for_update(lot.pk)
    before = locked.qc_status
    if status != QcStatus.RELEASED:
        _drop_reservations(balances)
    locked.qc_status = status
    locked.qc_reason = reason.strip()[:255]
    locked.save(update_fields=["qc_status", "qc_reason"])
    audit.record(
        "set_lot_qc_status",
        locked,
        actor=actor,
        before={"qc_status": before},
        after={"qc_status": status, "reason": reason},
    )
    return locked, before


def _drop_reservations(balances: Sequence[StockBalance]) -> None:
    ids = [b.pk for b in balances if b.reserved]
    if not ids:
        return
    StockBalance.objects.filter(pk__in=ids).update(reserved=0)
    Reservation.objects.filter(balance_id__in=ids, status=ReservationStatus.ACTIVE).update(
        qty=0, status=ReservationStatus.RELEASED
    )


def quarantine_everywhere(lots: Sequence[Lot], *, reason: str, actor: Actor) -> list[StockMove]:
    """Quarantine the lots and move every unit of them held in stores or in transit to its site's
    quarantine, inside the caller's transaction. Records ``quarantine_lot_everywhere`` per lot."""
    require_transaction()
    require_text(reason, StockInvalid, _("Give a reason."))
    lot_ids = sorted({lot.pk for lot in lots})
    if not lot_ids:
        return []
    held = list(
        StockBalance.objects.filter(
            lot_id__in=lot_ids,
            on_hand__gt=0,
            location__kind__in=[*STOCK_KINDS, LocationKind.IN_TRANSIT],
            location__site__isnull=False,
        )
        .select_related("lot", "location", "location__site")
        .order_by("pk")
    )
    targets = {b.location.site_id: quarantine_location(b.location.site) for b in held if b.location.site}
    # Missing quarantine balances first, then every balance of the lots, then the lots.
    locks.ensure_balances((b.lot, targets[b.location.site_id]) for b in held)
    balances = locks.lock_balances(StockBalance.objects.filter(lot_id__in=lot_ids))
    locked_lots = {lot.pk: lot for lot in locks.lots_for_update(lot_ids)}
    before = {pk: lot.qc_status for pk, lot in locked_lots.items()}
    _drop_reservations(balances)
    by_key = {(b.lot_id, b.location_id): b for b in balances}
    for lot in locked_lots.values():
        lot.qc_status = QcStatus.QUARANTINED
        lot.qc_reason = reason.strip()[:255]
        lot.save(update_fields=["qc_status", "qc_reason"])
    legs = []
    for b in held:
        on_hand = by_key[(b.lot_id, b.location_id)].on_hand  # re-read under the lock
        if on_hand > 0:
            lot = locked_lots[b.lot_id]
            legs.append(
                _Leg(
                    lot=lot,
                    from_location=b.location,
                    to_location=targets[b.location.site_id],
                    qty=on_hand,
                    unit_cost=lot.unit_cost,
                )
            )
    for balance in balances:
        balance.reserved = 0  # released above
    moves: list[StockMove] = []
    for pk, lot in locked_lots.items():
        mine = [leg for leg in legs if leg.lot.pk == pk]
        if mine:
            moves += apply_legs(
                mine,
                by_key,
                actor=actor,
                reason=MoveReason.QUARANTINE,
                note=reason,
                reference=f"QC {lot.batch}",
                document_type="lot",
                document_id=pk,
            )
    for pk, lot in locked_lots.items():
        audit.record(
            "quarantine_lot_everywhere",
            lot,
            actor=actor,
            before={"qc_status": before[pk]},
            after={
                "qc_status": QcStatus.QUARANTINED,
                "reason": reason,
                "moved": [{"from": str(m.from_location), "qty": m.qty} for m in moves if m.lot_id == pk],
            },
        )
    return moves


def mark_suspected_counterfeit(lots: Sequence[Lot], *, reason: str, actor: Actor) -> list[Lot]:
    """Flag the lots as suspected counterfeits, inside the caller's transaction.

    Locks the lots in pk order, flags those not flagged yet and records one audit event
    ``mark_lot_suspected_counterfeit`` per lot it changed; answers the lots it changed (none when
    all were flagged already, so calling it again changes nothing).
    """
    require_transaction()
    changed = []
    for lot in locks.lots_for_update(lot.pk for lot in lots):
        if lot.is_suspected_counterfeit:
            continue
        lot.is_suspected_counterfeit = True
        lot.save(update_fields=["is_suspected_counterfeit"])
        audit.record(
            "mark_lot_suspected_counterfeit",
            lot,
            actor=actor,
            before={"is_suspected_counterfeit": False},
            after={"is_suspected_counterfeit": True, "reason": reason},
        )
        changed.append(lot)
    return changed
