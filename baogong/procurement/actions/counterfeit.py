"""The counterfeit response: suspend the supplier, block its orders, quarantine and recall its lots."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import require_text
from baogong.core.models import Notification
from baogong.core.notify import notify
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope
from baogong.inventory import lots as inventory_lots
from baogong.inventory.choices import QcStatus
from baogong.inventory.models import Lot
from baogong.procurement import locks
from baogong.procurement.actions.orders import _set_order_status
from baogong.procurement.actions.suppliers import _suspend
from baogong.procurement.choices import OPEN_ORDER_STATUSES, OrderStatus, SupplierStatus
from baogong.procurement.errors import InspectionInvalid, LotNotFromSupplier
from baogong.procurement.models import CounterfeitCase, PurchaseOrder, PurchaseReceipt, Supplier
from baogong.procurement.queries import held_outside_quarantine


# --- counterfeit response ---------------------------------------------------------------------
def lots_from_supplier(supplier: Supplier, item_id: int) -> list[int]:
    """Every lot of the item received from this supplier (any enterprise's registration of its USCC)."""
    return sorted(
        set(
            PurchaseReceipt.objects.filter(order__supplier__uscc=supplier.uscc, lot__item_id=item_id).values_list(
                "lot_id", flat=True
            )
        )
    )


@retry_on_conflict
def mark_lot_counterfeit(lot: Lot, *, reason: str, actor: Actor) -> CounterfeitCase:
    """Suspected counterfeit: suspend the supplier, block its open orders, quarantine every lot of
    that item from it everywhere, open the recall list and alert the command centre.

    One transaction, in the lock order: the supplier's registrations, its open orders, then the
    lots' balances and the lots (inventory's in-transaction ``quarantine_everywhere`` and
    ``mark_suspected_counterfeit``). Calling it again for the same lot finishes any
    quarantine left undone (units moved back out of quarantine) and changes nothing else.
    """
    require_text(reason, InspectionInvalid, _("Give a reason."))
    receipt = (
        PurchaseReceipt.objects.filter(lot_id=lot.pk).select_related("order__supplier", "line").order_by("pk").first()
    )
    if receipt is None:
        raise LotNotFromSupplier()
    require_scope(actor, organisation_id=receipt.order.organisation_id, site_id=receipt.line.warehouse_id)
    supplier = receipt.order.supplier
    reason = reason.strip()[:255]
    with transaction.atomic(durable=True):
        same_code = list(
            locks.suppliers_for_update(Supplier.objects.filter(uscc=supplier.uscc).values_list("pk", flat=True))
        )
        case = CounterfeitCase.objects.filter(lot_id=lot.pk).first()  # read under the suppliers' locks
        if case is None:
            case = _open_case(lot, supplier, same_code, reason, actor=actor)
        _quarantine_case_lots(case, actor=actor)
        inventory_lots.mark_suspected_counterfeit([lot], reason=case.reason, actor=actor)
    return case


def _open_case(
    lot: Lot, supplier: Supplier, same_code: list[Supplier], reason: str, *, actor: Actor
) -> CounterfeitCase:
    """Suspend every registration of the supplier's USCC (locked by the caller), block its open orders
    (locked in pk order) and record the case, inside the caller's transaction."""
    for other in same_code:
        if other.status in {SupplierStatus.APPROVED, SupplierStatus.PENDING}:
            _suspend(
                other,
                _("Suspected counterfeit lot %(batch)s: %(reason)s") % {"batch": lot.batch, "reason": reason},
                actor,
            )
    open_ids = list(
        PurchaseOrder.objects.filter(supplier__uscc=supplier.uscc, status__in=OPEN_ORDER_STATUSES).values_list(
            "pk", flat=True
        )
    )
    blocked = list(locks.orders_for_update(open_ids))
    for order in blocked:
        order.status_reason = (_("Supplier suspected of counterfeits: %(reason)s") % {"reason": reason})[:255]
        _set_order_status(order, OrderStatus.BLOCKED, "block_order", actor, reason=order.status_reason)
    lot_ids = lots_from_supplier(supplier, lot.item_id)
    case = CounterfeitCase.objects.create(
        lot_id=lot.pk,
        supplier=supplier,
        item_id=lot.item_id,
        reason=reason,
        marked_by=audit.user_of(actor),
    )
    case.lots.set(lot_ids)
    case.blocked_orders.set(blocked)
    audit.record(
        "mark_lot_counterfeit",
        case,
        actor=actor,
        after={
            "lot": lot.pk,
            "supplier": supplier.pk,
            "uscc": supplier.uscc,
            "lots": lot_ids,
            "blocked_orders": [o.number for o in blocked],
            "reason": reason,
        },
    )
    link = reverse("procurement:recall_detail", args=[case.pk])
    notify(
        _("Suspected counterfeit: %(item)s batch %(batch)s") % {"item": lot.item.name, "batch": lot.batch},
        _(
            "Supplier %(supplier)s (%(uscc)s) suspended, %(orders)d open orders blocked, "
            "%(lots)d lots quarantined. Recall list: %(link)s"
        )
        % {
            "supplier": supplier.name,
            "uscc": supplier.uscc,
            "orders": len(blocked),
            "lots": len(lot_ids),
            "link": link,
        },
        level=Notification.Level.CRITICAL,
        link=link,
        subject="recall",
        organisation_id=None,
    )
    return case


def _quarantine_case_lots(case: CounterfeitCase, *, actor: Actor) -> None:
    """Quarantine every lot of the case not already out of use, in the caller's transaction."""
    lots = [
        held_lot
        for held_lot in Lot.objects.filter(pk__in=case.lots.values("pk")).order_by("pk")
        if held_lot.qc_status != QcStatus.REJECTED
        and not (held_lot.qc_status == QcStatus.QUARANTINED and not held_outside_quarantine(held_lot))
    ]
    if lots:
        inventory_lots.quarantine_everywhere(
            lots,
            reason=(_("Suspected counterfeit (case %(case)s): %(reason)s") % {"case": case, "reason": case.reason})[
                :255
            ],
            actor=actor,
        )
