"""The QC gate of every receipt: which goods land in quarantine (QC pending) and who may release them.

Every receipt path goes through :func:`baogong.inventory.ledger.receive` (the keeper's page, the API,
imports, programmatic receipts, procurement's receipt against an order), which asks
:func:`resolve_receipt_qc`. Goods are *held* (the lot stays ``pending`` until QC releases it) when

* their category's :class:`~baogong.inventory.models.QcRule` (inherited down the category tree;
  without one: categories with a regulatory number — drugs, medical devices, antigen kits — are
  always inspected, other goods not) says every receipt is inspected, or
* they come without a purchase order from a supplier the procurement app does not know as approved
  and qualified for them (the rule is not ``never``; the check is registered in
  :mod:`baogong.inventory.hooks`).

Only QC staff (permission ``inventory.set_lot_qc_status``) release held goods, at receipt or later
on the lot's page; anyone else asking for "released" gets a field error on ``qc_status``. A receipt
without an order from an unknown or unqualified supplier is always flagged in its audit event, even
for goods that need no inspection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from baogong.catalog.models import Category, Item
from baogong.core.audit import Actor
from baogong.inventory.choices import QcPolicy, QcStatus
from baogong.inventory.errors import StockInvalid
from baogong.inventory.hooks import SUPPLIER_CHECKS
from baogong.inventory.models import Lot, QcRule

RELEASE_PERMISSION = "inventory.set_lot_qc_status"


def may_release(actor: Actor) -> bool:
    """QC staff (and programmatic system work, which has no user) may release lots."""
    if actor is not None and getattr(actor, "is_system", False):
        return True
    return bool(getattr(actor, "is_authenticated", False) and actor.has_perm(RELEASE_PERMISSION))


def category_policies() -> dict[int, str]:
    """``{category id: policy}`` of every category, rules inherited down the tree."""
    rules = dict(QcRule.objects.values_list("category_id", "policy"))
    nodes = {c.pk: c for c in Category.objects.only("id", "parent_id", "regulatory_kind")}
    out: dict[int, str] = {}
    for pk in nodes:
        node: Category | None = nodes[pk]
        policy = ""
        regulated = False
        while node is not None:
            if not policy and node.pk in rules:
                policy = rules[node.pk]
            regulated = regulated or bool(node.regulatory_kind)
            node = nodes.get(node.parent_id) if node.parent_id else None
        out[pk] = policy or (QcPolicy.ALWAYS if regulated else QcPolicy.NEVER)
    return out


def qc_policy(item: Item, policies: dict[int, str] | None = None) -> str:
    """The incoming-inspection policy of an item (``never`` for items without a category)."""
    if item.category_id is None:
        return QcPolicy.NEVER
    table = policies if policies is not None else category_policies()
    return table.get(item.category_id, QcPolicy.NEVER)


def supplier_problems(supplier_ref: str, supplier_name: str, items: Sequence[Item]) -> list[str]:
    """Why goods may not be taken from this supplier without a purchase order (the registered checks)."""
    problems: list[str] = []
    distinct = list({item.pk: item for item in items}.values())  # large receipts repeat items
    for check in SUPPLIER_CHECKS:
        problems.extend(check(supplier_ref, supplier_name, distinct))
    return problems


@dataclass
class ReceiptQc:
    """The gate's answer for one receipt: a status and the hold reasons of each line."""

    statuses: list[str]
    reasons: list[list[str]]
    supplier_flags: list[str] = field(default_factory=list)

    @property
    def receipt_status(self) -> str:
        distinct = set(self.statuses)
        return distinct.pop() if len(distinct) == 1 else QcStatus.PENDING

    def held(self, items: Sequence[Item]) -> list[dict[str, Any]]:
        return [
            {"item": item.code, "reasons": reasons}
            for item, reasons, status in zip(items, self.reasons, self.statuses, strict=True)
            if reasons and status != QcStatus.RELEASED
        ]


def resolve_receipt_qc(
    items: Sequence[Item],
    batches: Sequence[str],
    *,
    requested: str | None,
    actor: Actor,
    supplier_ref: str = "",
    supplier_name: str = "",
    against_order: bool = False,
) -> ReceiptQc:
    """Decide the QC status of each line of a receipt, or raise a field error (nothing written).

    ``requested`` ``None`` means "as the rules say": held lines are ``pending``, the others
    ``released``; programmatic system work keeps releasing at receipt. Asking for ``released`` on a
    line that must be held needs QC staff, and so does adding held goods to a batch already released.
    """
    policies = category_policies()
    item_policies = [qc_policy(item, policies) for item in items]
    flags: list[str] = []
    if not against_order:
        flags = supplier_problems(supplier_ref.strip(), supplier_name.strip(), items)
    qc_staff = may_release(actor)
    statuses: list[str] = []
    reasons: list[list[str]] = []
    for item, policy in zip(items, item_policies, strict=True):
        why: list[str] = []
        if policy == QcPolicy.ALWAYS:
            why.append(_("%(item)s needs incoming inspection.") % {"item": item.name})
        if policy != QcPolicy.NEVER and flags:
            why.append(_("No purchase order: %(problems)s") % {"problems": "; ".join(flags)})
        reasons.append(why)
        if requested is None:
            automatic_release = not why or getattr(actor, "is_system", False)
            statuses.append(QcStatus.RELEASED if automatic_release else QcStatus.PENDING)
        else:
            statuses.append(requested)
    held = [i for i, why in enumerate(reasons) if why]
    if not qc_staff and any(statuses[i] == QcStatus.RELEASED for i in held):
        raise StockInvalid(
            _("Only QC staff may release goods that need inspection: %(why)s")
            % {"why": "; ".join(dict.fromkeys(w for i in held for w in reasons[i]))},
            details={
                "qc_status": [_("Only QC staff may release goods that need inspection; receive them as pending.")]
            },
        )
    if not qc_staff and held:
        _refuse_released_batches(items, batches, held)
    return ReceiptQc(statuses=statuses, reasons=reasons, supplier_flags=flags)


def _refuse_released_batches(items: Sequence[Item], batches: Sequence[str], held: list[int]) -> None:
    """Held goods may not join a lot QC already released (they would be usable at once)."""
    wanted = {(items[i].pk, batches[i]) for i in held}
    released = set(
        Lot.objects.filter(
            item_id__in={k[0] for k in wanted}, batch__in={k[1] for k in wanted}, qc_status=QcStatus.RELEASED
        ).values_list("item_id", "batch")
    )
    errors = {
        str(i): {
            "batch": [
                _("Batch %(batch)s was already released by QC; give this delivery its own batch.")
                % {"batch": batches[i]}
            ]
        }
        for i in held
        if (items[i].pk, batches[i]) in released
    }
    if errors:
        raise StockInvalid(details={"lines": errors})
