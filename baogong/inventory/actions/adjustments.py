"""Adjustments (with approval above a value) and the reversal of a move."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.money import round_fen
from baogong.core.retry import retry_on_conflict
from baogong.inventory import locks
from baogong.inventory.actions.common import (
    _apply,
    _Leg,
    _lock_legs,
    _move,
    _org_of,
    require_either_site_scope,
    require_site_scope,
)
from baogong.inventory.choices import STOCK_KINDS, AdjustmentStatus, LocationKind, MoveReason
from baogong.inventory.errors import AlreadyReversed, InvalidState, StockInvalid
from baogong.inventory.ledger import (  # re-exported: other apps import the inputs from here
    MoveInput,
)
from baogong.inventory.locations import virtual_location
from baogong.inventory.models import Adjustment, Location, Lot, StockMove
from baogong.orgs import duties
from baogong.orgs.choices import ApprovalKind
from baogong.orgs.models import Site


# --- adjustments ------------------------------------------------------------------------------
def approval_threshold() -> Decimal:
    return Decimal(str(getattr(settings, "BAOGONG_ADJUSTMENT_APPROVAL_VALUE", "2000")))


@retry_on_conflict
def adjust_stock(
    warehouse: Site,
    lot: Lot,
    location: Location,
    qty_change: int,
    *,
    reason: str,
    actor: Actor,
) -> Adjustment:
    """Correct one balance by ``qty_change`` units with a reason.

    Above the approval value (``BAOGONG_ADJUSTMENT_APPROVAL_VALUE``) it waits for another person
    with ``inventory.approve_adjustment`` (maker ≠ checker, even when the actor holds that
    permission), unless the warehouse's organisation lets one person do both (audited) or it is
    system work.
    """
    require_site_scope(actor, warehouse)
    e: dict[str, list[str]] = {}
    if not isinstance(qty_change, int) or qty_change == 0:
        e["qty_change"] = [_("Give a quantity change other than zero.")]
    if not reason.strip():
        e["reason"] = [_("Give a reason for the adjustment.")]
    if location.site_id != warehouse.pk or location.kind not in (*STOCK_KINDS, LocationKind.QUARANTINE):
        e["location"] = [_("The location is not a store location of this site.")]
    if e:
        raise StockInvalid(details=e)
    value = round_fen(abs(qty_change) * lot.unit_cost)
    with transaction.atomic(durable=True):
        waived = (
            value > approval_threshold()
            and _can(actor, "inventory.approve_adjustment")
            and duties.one_person_allowed(warehouse.organisation_id)
            and duties.within_limit(warehouse.organisation_id, ApprovalKind.STOCK_ADJUSTMENT, value, actor=actor)
        )
        needs_approval = value > approval_threshold() and not (getattr(actor, "is_system", False) or waived)
        adjustment = Adjustment.objects.create(
            warehouse=warehouse,
            item_id=lot.item_id,
            lot=lot,
            location=location,
            qty_change=qty_change,
            value=value,
            reason=reason.strip()[:255],
            status=AdjustmentStatus.PENDING if needs_approval else AdjustmentStatus.POSTED,
            created_by=audit.user_of(actor),
        )
        if not needs_approval:
            _post_adjustment(adjustment, actor=actor)
        audit.record(
            "adjust_stock",
            adjustment,
            actor=actor,
            after={**audit.snapshot(adjustment), **({"one_person_waiver": True} if waived else {})},
        )
        return adjustment


def _can(actor: Actor, perm: str) -> bool:
    if getattr(actor, "is_system", False):
        return True
    return bool(getattr(actor, "is_authenticated", False) and actor.has_perm(perm))


def _post_adjustment(adjustment: Adjustment, *, actor: Actor) -> None:
    book = virtual_location(LocationKind.ADJUSTMENT)
    gain = adjustment.qty_change > 0
    _move(
        [
            MoveInput(
                item=adjustment.lot.item,
                lot=adjustment.lot,
                from_location=book if gain else adjustment.location,
                to_location=adjustment.location if gain else book,
                qty=abs(adjustment.qty_change),
            )
        ],
        actor=actor,
        reason=MoveReason.ADJUSTMENT,
        reference=adjustment.number,
        note=adjustment.reason,
        document_type="adjustment",
        document_id=adjustment.pk,
        check_usable=False,
    )


@retry_on_conflict
def decide_adjustment(adjustment: Adjustment, *, approve: bool, actor: Actor) -> Adjustment:
    """Approve (post the move) or reject an adjustment waiting for approval."""
    require_site_scope(actor, adjustment.warehouse)
    if not _can(actor, "inventory.approve_adjustment"):
        raise InvalidState(_("You may not approve adjustments."), code="permission_denied")
    with transaction.atomic(durable=True):
        locked = locks.adjustment_for_update(adjustment.pk)
        if locked.status != AdjustmentStatus.PENDING:
            raise InvalidState()
        waived = False
        if approve:  # maker ≠ checker (a rejection by the maker withdraws it)
            waived = duties.require_another_person(
                locked.warehouse.organisation_id, actor=actor, earlier={_("the adjustment"): locked.created_by_id}
            )
            duties.require_within_limit(
                locked.warehouse.organisation_id,
                ApprovalKind.STOCK_ADJUSTMENT,
                locked.value,
                actor=actor,
                field="value",
            )
            _post_adjustment(locked, actor=actor)
        audit.change_status(
            "approve_adjustment" if approve else "reject_adjustment",
            locked,
            AdjustmentStatus.POSTED if approve else AdjustmentStatus.REJECTED,
            actor=actor,
            stamps={
                "decided_by": audit.user_of(actor),
                "decided_at": timezone.now(),
            },
            after={"one_person_waiver": True} if waived else None,
        )
        return locked


# --- reversal ---------------------------------------------------------------------------------
@retry_on_conflict
def reverse_move(move: StockMove, *, actor: Actor, reason: str = "") -> StockMove:
    """Post the opposite of ``move`` (the only way to correct the ledger)."""
    require_either_site_scope(actor, [move.from_location, move.to_location])
    with transaction.atomic(durable=True):
        original = StockMove.objects.select_related("lot", "lot__item", "from_location", "to_location").get(pk=move.pk)
        if original.reason == MoveReason.REVERSAL:
            raise InvalidState(_("A reversal cannot itself be reversed; post a new move."))
        leg = _Leg(
            lot=original.lot,
            from_location=original.to_location,
            to_location=original.from_location,
            qty=original.qty,
            unit_cost=original.unit_cost,
            reverses=original,
        )
        locked = _lock_legs([leg])
        if StockMove.objects.filter(reverses=original).exists():
            raise AlreadyReversed()
        [reversal] = _apply(
            [leg],
            locked,
            actor=actor,
            reason=MoveReason.REVERSAL,
            reference=original.reference,
            document_type=original.document_type,
            document_id=original.document_id,
            note=reason,
        )
        audit.record(
            "reverse_move",
            reversal,
            actor=actor,
            after={"reverses": original.pk, "reason": reason},
            organisation_id=_org_of(original.from_location) or _org_of(original.to_location),
            site_id=original.from_location.site_id or original.to_location.site_id,
        )
        return reversal
