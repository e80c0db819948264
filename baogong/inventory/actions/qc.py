"""A lot's QC status, and quarantining a lot wherever it lies."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from baogong.catalog.models import Category
from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import require_text
from baogong.core.retry import retry_on_conflict
from baogong.inventory import locks, lots
from baogong.inventory.choices import QcPolicy
from baogong.inventory.errors import StockInvalid
from baogong.inventory.models import Lot, QcRule, StockMove
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
    """Release, quarantine or reject a lot (only QC staff release). Leaving 'released' releases its
    open reservations. One durable transaction around :func:`baogong.inventory.lots.set_qc_status`."""
    with transaction.atomic(durable=True):
        locked, _before = lots.set_qc_status(lot, status, reason=reason, actor=actor)
        return locked


@retry_on_conflict
def quarantine_lot_everywhere(lot: Lot, *, reason: str, actor: Actor) -> list[StockMove]:
    """Quarantine the lot and move every unit of it held in stores or in transit to quarantine.
    One durable transaction around :func:`baogong.inventory.lots.quarantine_everywhere`."""
    require_text(reason, StockInvalid, _("Give a reason."))
    with transaction.atomic(durable=True):
        return lots.quarantine_everywhere([lot], reason=reason, actor=actor)
