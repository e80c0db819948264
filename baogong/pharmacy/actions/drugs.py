"""The drug record of a catalog item."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.pharmacy import locks
from baogong.pharmacy.errors import (
    DrugInvalid,
)
from baogong.pharmacy.models import Drug

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
def save_drug(data: dict[str, Any], *, actor: Actor, drug: Drug | None = None) -> Drug:
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
