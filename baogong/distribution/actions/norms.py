"""Per-person entitlements (norms)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.distribution import locks
from baogong.distribution.errors import (
    RequestInvalid,
)
from baogong.distribution.models import (
    Norm,
)

# --------------------------------------------------------------------------- norms


@retry_on_conflict
def set_norm(item: Item, qty_per_person: Decimal, *, actor: Actor, note: str = "") -> Norm:
    """Set the per-person entitlement of an item (issue units per person)."""
    if not isinstance(qty_per_person, Decimal) or not qty_per_person.is_finite() or qty_per_person < 0:
        raise RequestInvalid(details={"qty_per_person": [_("Enter a number of units per person, 0 or more.")]})
    with transaction.atomic(durable=True):
        norm = locks.norm_for_update(item.pk)
        before = audit.snapshot(norm) if norm else None
        if norm is None:
            norm = Norm(item=item)
        norm.qty_per_person = qty_per_person
        norm.note = note[:255]
        norm.save()
        audit.record("set_norm", norm, actor=actor, before=before, after=audit.snapshot(norm))
        return norm
