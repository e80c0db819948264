"""Purchase orders: requisition, approval levels, emergency fast-track, rejection, cancellation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import require_text
from baogong.core.models import Notification
from baogong.core.money import round_fen
from baogong.core.notify import notify
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope, user_scope
from baogong.orgs import duties
from baogong.orgs.choices import ApprovalKind
from baogong.orgs.errors import SamePerson
from baogong.orgs.models import Organisation, Site
from baogong.procurement import locks, queries
from baogong.procurement.actions.suppliers import is_blacklisted, licence_problems
from baogong.procurement.choices import (
    CATALOG_SUPPLY_CATEGORY,
    PLACED_ORDER_STATUSES,
    OrderStatus,
    SupplierStatus,
    SupplyCategory,
)
from baogong.procurement.errors import (
    NotAnApprover,
    OrderInvalid,
    OrderStateInvalid,
    PriceReasonRequired,
    SupplierNotQualified,
)
from baogong.procurement.models import ApprovalLevel, OrderApproval, PurchaseOrder, PurchaseOrderLine, Supplier


# --- purchase orders --------------------------------------------------------------------------
@dataclass
class OrderLineInput:
    item: Item
    qty: int
    unit_price: Decimal
    delivery_date: dt.date
    warehouse: Site
    price_reason: str = ""


def supply_category_of(item: Item) -> str:
    """The supply category (and so the licences) an item needs, from its catalog category tree."""
    node = item.category
    while node is not None:
        if node.code in CATALOG_SUPPLY_CATEGORY:
            return CATALOG_SUPPLY_CATEGORY[node.code]
        node = node.parent
    return SupplyCategory.GENERAL


def last_purchase_price(item: Item, *, exclude_order_id: int | None = None) -> Decimal | None:
    """The unit price of the group's most recent placed order for the item."""
    lines = PurchaseOrderLine.objects.filter(item=item, order__status__in=PLACED_ORDER_STATUSES)
    if exclude_order_id is not None:
        lines = lines.exclude(order_id=exclude_order_id)
    line = lines.order_by("-order__approved_at", "-pk").first()
    return line.unit_price if line is not None else None


def supplier_problems(supplier: Supplier, items: list[Item]) -> list[str]:
    """Every reason ``supplier`` may not be ordered from for ``items`` (empty when it may)."""
    problems: list[str] = []
    if supplier.status != SupplierStatus.APPROVED:
        problems.append(
            _("supplier %(name)s is %(status)s, not approved")
            % {"name": supplier.name, "status": supplier.get_status_display()}
        )
    entry = is_blacklisted(supplier.uscc)
    if entry is not None:
        problems.append(
            _("%(uscc)s is on the group blacklist: %(reason)s") % {"uscc": entry.uscc, "reason": entry.reason}
        )
    needed = sorted({supply_category_of(item) for item in items})
    for category in needed:
        if category not in supplier.categories:
            problems.append(
                _("supplier is not qualified for %(category)s") % {"category": SupplyCategory(category).label}
            )
    problems.extend(licence_problems(supplier, [c for c in needed if c in supplier.categories]))
    return problems


def receipt_supplier_problems(supplier_ref: str, supplier_name: str, items: Sequence[Item]) -> list[str]:
    """Why goods may not be taken without a purchase order from the supplier a stock receipt names
    (its USCC or name): unknown, or no registration of it approved and qualified for the goods.
    Registered with inventory's QC gate (``baogong.inventory.hooks``) in ``ProcurementConfig.ready``."""
    ref, name = supplier_ref.strip().upper(), supplier_name.strip()
    query = Q()
    if ref:
        query |= Q(uscc=ref)
    if name:
        query |= Q(name=name)
    known = list(Supplier.objects.filter(query).order_by("pk")) if ref or name else []
    if not known:
        return [
            _("supplier %(name)s is not registered with procurement") % {"name": name or ref}
            if name or ref
            else _("no supplier named")
        ]
    found: list[str] = []
    for supplier in known:
        problems = supplier_problems(supplier, list(items))
        if not problems:
            return []
        found.extend(p for p in problems if p not in found)
    return found


def _check_lines(order: PurchaseOrder, lines: list[OrderLineInput], actor: Actor) -> list[PurchaseOrderLine]:
    policy = queries.policy_for(order.organisation_id)
    limit = Decimal(1) + policy.max_markup_percent / Decimal(100)
    scope = user_scope(actor)
    errors: dict[str, Any] = {}
    built: list[PurchaseOrderLine] = []
    for i, line in enumerate(lines):
        e: dict[str, list[str]] = {}
        if not isinstance(line.qty, int) or line.qty <= 0:
            e["qty"] = [_("Quantities must be whole numbers above zero.")]
        price = Decimal(line.unit_price) if line.unit_price is not None else Decimal(-1)
        if price < 0:
            e["unit_price"] = [_("The price cannot be negative.")]
        if not line.item.is_active:
            e["item"] = [_("The item is not active.")]
        if line.warehouse.kind not in {"warehouse", "pharmacy"}:
            e["warehouse"] = [_("Deliver to a warehouse or pharmacy.")]
        elif not scope.allows(organisation_id=line.warehouse.organisation_id, site_id=line.warehouse.pk):
            e["warehouse"] = [_("The warehouse is outside your organisations.")]
        if line.delivery_date and line.delivery_date < timezone.localdate() and order.pk is None:
            e["delivery_date"] = [_("The delivery date is in the past.")]
        reference = line.item.reference_price
        last = last_purchase_price(line.item, exclude_order_id=order.pk)
        over: list[str] = []
        if price >= 0:
            for label, base in ((_("reference price"), reference), (_("last purchase price"), last)):
                if base is not None and base > 0 and price > base * limit:
                    markup = round_fen((price / base - 1) * 100)
                    over.append(
                        _("%(price)s is %(markup)s%% above the %(label)s %(base)s")
                        % {"price": price, "markup": markup, "label": label, "base": base}
                    )
        if over and not line.price_reason.strip():
            e["price_reason"] = [
                _("Above the allowed markup of %(limit)s%%: %(why)s. Record a reason.")
                % {"limit": policy.max_markup_percent.normalize(), "why": "; ".join(over)}
            ]
        if e:
            errors[f"lines[{i}]"] = e
            continue
        built.append(
            PurchaseOrderLine(
                item=line.item,
                qty=line.qty,
                unit_price=round_fen(price),
                delivery_date=line.delivery_date,
                warehouse=line.warehouse,
                reference_price=reference,
                last_price=last,
                is_price_flagged=bool(over),
                price_reason=line.price_reason.strip()[:255],
            )
        )
    if errors:
        price_only = all(set(v) == {"price_reason"} for v in errors.values())
        raise (PriceReasonRequired if price_only else OrderInvalid)(details=errors)
    return built


@retry_on_conflict
def create_order(
    organisation: Organisation,
    supplier: Supplier,
    lines: list[OrderLineInput],
    *,
    actor: Actor,
    notes: str = "",
) -> PurchaseOrder:
    """Raise a requisition (draft order). Refused, with every reason, for an unqualified supplier."""
    if not user_scope(actor).allows(organisation_id=organisation.pk):
        raise OrderInvalid(details={"organisation": [_("You may not buy for this organisation.")]})
    if supplier.organisation_id != organisation.pk:
        raise OrderInvalid(details={"supplier": [_("The supplier is not registered for this organisation.")]})
    if not lines:
        raise OrderInvalid(details={"lines": [_("Add at least one line.")]})
    _require_qualified(supplier, [line.item for line in lines])
    order = PurchaseOrder(organisation=organisation, supplier=supplier, notes=notes.strip()[:255])
    built = _check_lines(order, lines, actor)
    with transaction.atomic(durable=True):
        order.requested_by = audit.user_of(actor)
        order.total = round_fen(sum((line.unit_price * line.qty for line in built), Decimal(0)))
        order.save()
        for line in built:
            line.order = order
        PurchaseOrderLine.objects.bulk_create(built)
        audit.record(
            "create_order",
            order,
            actor=actor,
            after={
                "supplier": supplier.pk,
                "total": order.total,
                "lines": [
                    {
                        "item": line.item.code,
                        "qty": line.qty,
                        "unit_price": line.unit_price,
                        "price_flagged": line.is_price_flagged,
                        "price_reason": line.price_reason,
                    }
                    for line in built
                ],
            },
        )
        return order


def _lock_order(order: PurchaseOrder) -> PurchaseOrder:
    return locks.orders_for_update([order.pk]).select_related("supplier").get()


def needs_threshold_approval(order: PurchaseOrder) -> bool:
    """An order at or above the policy's ``approval_from`` that no approval level covers still needs
    one approval (level 0) by another person who may approve purchase orders."""
    return order.total >= queries.policy_for(order.organisation_id).approval_from


def required_levels(order: PurchaseOrder) -> list[ApprovalLevel]:
    return list(
        ApprovalLevel.objects.filter(organisation_id=order.organisation_id, min_amount__lte=order.total)
        .prefetch_related("approvers")
        .order_by("level")
    )


def _set_order_status(order: PurchaseOrder, status: str, verb: str, actor: Actor, **extra: Any) -> PurchaseOrder:
    before = {"status": order.status}
    order.status = status
    if status == OrderStatus.APPROVED and order.approved_at is None:
        order.approved_at = timezone.now()
    order.save()
    audit.record(verb, order, actor=actor, before=before, after={"status": status, **extra})
    return order


@retry_on_conflict
def submit_order(
    order: PurchaseOrder, *, actor: Actor, emergency: bool = False, emergency_reason: str = ""
) -> PurchaseOrder:
    """Send a requisition for approval; the emergency fast-track orders at once and flags it for review."""
    require_scope(actor, organisation_id=order.organisation_id)
    if emergency and not emergency_reason.strip():
        raise OrderInvalid(details={"emergency_reason": [_("Say why this cannot wait for approval.")]})
    with transaction.atomic(durable=True):
        locked = _lock_order(order)
        if locked.status != OrderStatus.DRAFT:
            raise OrderStateInvalid(details={"status": [locked.status]})
        lines = list(locked.lines.select_related("item", "item__category"))
        _require_qualified(locked.supplier, [line.item for line in lines])
        locked.submitted_at = timezone.now()
        if emergency:
            locked.is_emergency = True
            locked.needs_review = True
            locked.emergency_reason = emergency_reason.strip()[:255]
            _set_order_status(
                locked, OrderStatus.APPROVED, "submit_order", actor, emergency=True, reason=locked.emergency_reason
            )
            notify(
                _("Emergency order %(number)s placed without approval") % {"number": locked.number},
                _("%(total)s yuan from %(supplier)s: %(reason)s")
                % {"total": locked.total, "supplier": locked.supplier.name, "reason": locked.emergency_reason},
                level=Notification.Level.WARNING,
                link=reverse("procurement:order_detail", args=[locked.pk]),
                organisation_id=locked.organisation_id,
            )
            return locked
        levels = required_levels(locked)
        threshold = not levels and needs_threshold_approval(locked)
        status = OrderStatus.PENDING_APPROVAL if levels or threshold else OrderStatus.APPROVED
        return _set_order_status(
            locked, status, "submit_order", actor, levels=[lv.level for lv in levels] or ([0] if threshold else [])
        )


@retry_on_conflict
def approve_order(order: PurchaseOrder, *, actor: Actor, comment: str = "") -> PurchaseOrder:
    """Approve the next pending level; the order is placed when the last required level approves."""
    require_scope(actor, organisation_id=order.organisation_id)
    with transaction.atomic(durable=True):
        locked = _lock_order(order)
        if locked.status != OrderStatus.PENDING_APPROVAL:
            raise OrderStateInvalid(details={"status": [locked.status]})
        done = set(locked.approvals.filter(is_approved=True).values_list("level", flat=True))
        levels = required_levels(locked)
        pending = [lv for lv in levels if lv.level not in done]
        if not levels and needs_threshold_approval(locked) and 0 not in done:
            return _approve_over_threshold(locked, actor=actor, comment=comment)
        if not pending:
            return _set_order_status(locked, OrderStatus.APPROVED, "approve_order", actor)
        level = pending[0]
        if actor is None or not level.approvers.filter(pk=actor.pk).exists():
            raise NotAnApprover(
                _("Level %(level)d (%(name)s) is approved by: %(names)s")
                % {
                    "level": level.level,
                    "name": level.name,
                    "names": ", ".join(u.get_username() for u in level.approvers.all()) or "—",
                }
            )
        waived = _another_person(locked, actor)
        _require_qualified_supplier(locked)
        OrderApproval.objects.create(order=locked, level=level.level, approver=actor, is_approved=True, comment=comment)
        status = OrderStatus.APPROVED if len(pending) == 1 else OrderStatus.PENDING_APPROVAL
        return _set_order_status(locked, status, "approve_order", actor, level=level.level, comment=comment, **waived)


def _another_person(order: PurchaseOrder, actor: Actor) -> dict[str, Any]:
    """Maker ≠ checker: who raised the requisition may not approve it (unless the organisation waived it)."""
    try:
        waived = duties.require_another_person(
            order.organisation_id, actor=actor, earlier={_("the requisition"): order.requested_by_id}
        )
    except SamePerson as exc:
        raise NotAnApprover(_("You cannot approve your own requisition."), details=exc.details) from None
    limit = duties.require_within_limit(
        order.organisation_id, ApprovalKind.PURCHASE_ORDER, order.total, actor=actor, field="total"
    )
    return {
        **({"one_person_waiver": True} if waived else {}),
        **({"approval_limit": limit} if limit is not None else {}),
    }


def _require_qualified_supplier(order: PurchaseOrder) -> None:
    _require_qualified(order.supplier, [line.item for line in order.lines.select_related("item", "item__category")])


def _require_qualified(supplier: Supplier, items: list[Item]) -> None:
    """Refused, with every reason, unless the supplier is qualified (status, licences) for all the items."""
    problems = supplier_problems(supplier, items)
    if problems:
        raise SupplierNotQualified(
            _("Cannot order from %(name)s: %(problems)s") % {"name": supplier.name, "problems": "; ".join(problems)},
            details={"supplier": problems},
        )


def _approve_over_threshold(order: PurchaseOrder, *, actor: Actor, comment: str) -> PurchaseOrder:
    """The one approval an order over the policy's threshold needs when no approval level covers it."""
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm("procurement.approve_purchaseorder"):
        raise NotAnApprover(
            _("Orders from %(limit)s yuan need an approval by a person who may approve purchase orders.")
            % {"limit": queries.policy_for(order.organisation_id).approval_from}
        )
    waived = _another_person(order, actor)
    _require_qualified_supplier(order)
    OrderApproval.objects.create(order=order, level=0, approver=actor, is_approved=True, comment=comment)
    return _set_order_status(order, OrderStatus.APPROVED, "approve_order", actor, level=0, comment=comment, **waived)


@retry_on_conflict
def reject_order(order: PurchaseOrder, *, reason: str, actor: Actor) -> PurchaseOrder:
    require_scope(actor, organisation_id=order.organisation_id)
    require_text(reason, OrderInvalid, _("Give a reason."))
    with transaction.atomic(durable=True):
        locked = _lock_order(order)
        if locked.status != OrderStatus.PENDING_APPROVAL:
            raise OrderStateInvalid(details={"status": [locked.status]})
        done = set(locked.approvals.filter(is_approved=True).values_list("level", flat=True))
        pending = [lv for lv in required_levels(locked) if lv.level not in done]
        if pending and (actor is None or not pending[0].approvers.filter(pk=actor.pk).exists()):
            raise NotAnApprover()
        if not pending and not (
            getattr(actor, "is_authenticated", False) and actor.has_perm("procurement.approve_purchaseorder")
        ):
            raise NotAnApprover()
        OrderApproval.objects.create(
            order=locked, level=pending[0].level if pending else 0, approver=actor, is_approved=False, comment=reason
        )
        locked.status_reason = reason.strip()[:255]
        return _set_order_status(locked, OrderStatus.REJECTED, "reject_order", actor, reason=locked.status_reason)


@retry_on_conflict
def review_emergency_order(order: PurchaseOrder, *, note: str, actor: Actor) -> PurchaseOrder:
    """The after-the-fact review of a fast-tracked order."""
    require_scope(actor, organisation_id=order.organisation_id)
    if not note.strip():
        raise OrderInvalid(details={"note": [_("Record the review's conclusion.")]})
    with transaction.atomic(durable=True):
        locked = _lock_order(order)
        if not locked.needs_review:
            raise OrderStateInvalid(_("This order does not await review."))
        if locked.requested_by_id == getattr(actor, "pk", None):
            raise NotAnApprover(_("You cannot review your own emergency order."))
        locked.needs_review = False
        locked.reviewed_by = audit.user_of(actor)
        locked.reviewed_at = timezone.now()
        locked.review_note = note.strip()[:255]
        locked.save()
        audit.record(
            "review_emergency_order",
            locked,
            actor=actor,
            before={"needs_review": True},
            after={"needs_review": False, "note": locked.review_note},
        )
        return locked


@retry_on_conflict
def cancel_order(order: PurchaseOrder, *, reason: str, actor: Actor) -> PurchaseOrder:
    require_scope(actor, organisation_id=order.organisation_id)
    require_text(reason, OrderInvalid, _("Give a reason."))
    with transaction.atomic(durable=True):
        locked = _lock_order(order)
        if locked.status not in {OrderStatus.DRAFT, OrderStatus.PENDING_APPROVAL, OrderStatus.APPROVED}:
            raise OrderStateInvalid(details={"status": [locked.status]})
        locked.status_reason = reason.strip()[:255]
        return _set_order_status(locked, OrderStatus.CANCELLED, "cancel_order", actor, reason=locked.status_reason)
