"""Every state change of procurement: suppliers, licences, orders, receipts, inspections, recalls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core import audit
from baogong.core.identifiers import (
    antigen_kit_red_flags,
    check_device_registration,
    check_drug_approval,
    check_uscc,
)
from baogong.core.models import Notification
from baogong.core.money import round_fen
from baogong.core.notify import notify
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import user_scope
from baogong.inventory import actions as inventory_actions
from baogong.inventory import ledger
from baogong.inventory.choices import QcStatus
from baogong.inventory.models import Lot
from baogong.orgs.models import Organisation, Site
from baogong.procurement import locks, queries
from baogong.procurement.choices import (
    CATALOG_SUPPLY_CATEGORY,
    CATEGORY_LICENCES,
    NMPA_ANTIGEN_REGISTRANTS,
    OPEN_ORDER_STATUSES,
    PLACED_ORDER_STATUSES,
    InspectionDecision,
    LicenceKind,
    OrderStatus,
    SampleResult,
    SupplierStatus,
    SupplyCategory,
)
from baogong.procurement.errors import (
    InspectionInvalid,
    LicenceInvalid,
    LotNotFromSupplier,
    NotAnApprover,
    OrderInvalid,
    OrderStateInvalid,
    PriceReasonRequired,
    ReceiptInvalid,
    SupplierBlacklisted,
    SupplierInvalid,
    SupplierNotQualified,
    SupplierStatusInvalid,
)
from baogong.procurement.models import (
    ApprovalLevel,
    BlacklistEntry,
    CounterfeitCase,
    Inspection,
    OrderApproval,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    Supplier,
    SupplierLicence,
)
from baogong.procurement.queries import held_outside_quarantine

SUPPLIER_FIELDS = [
    "organisation",
    "name",
    "uscc",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "address",
    "categories",
]
DOCUMENT_SIGNATURES = {
    ".pdf": [b"%PDF-"],
    ".jpg": [b"\xff\xd8\xff"],
    ".jpeg": [b"\xff\xd8\xff"],
    ".png": [b"\x89PNG\r\n\x1a\n"],
}


# --- suppliers --------------------------------------------------------------------------------
def _clean_supplier(supplier: Supplier, actor: Any) -> None:
    errors: dict[str, list[str]] = {}
    supplier.uscc = (supplier.uscc or "").strip().upper()
    check = check_uscc(supplier.uscc) if supplier.uscc else None
    if check is None:
        errors["uscc"] = [_("This field is required.")]
    elif not check.ok:
        errors["uscc"] = [check.reason]
    else:
        supplier.uscc_warnings = list(check.warnings)
    categories = supplier.categories if isinstance(supplier.categories, list) else []
    unknown = [c for c in categories if c not in SupplyCategory.values]
    if unknown or not categories:
        errors["categories"] = [
            _("Unknown categories: %(codes)s") % {"codes": ", ".join(map(str, unknown))}
            if unknown
            else _("Name at least one category supplied.")
        ]
    supplier.categories = sorted(set(categories))
    try:
        supplier.full_clean(exclude=["uscc", "categories", "uscc_warnings"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if supplier.organisation_id and not user_scope(actor).allows(organisation_id=supplier.organisation_id):
        errors.setdefault("organisation", []).append(_("You may not add suppliers for this organisation."))
    if errors:
        raise SupplierInvalid(details=errors)


@retry_on_conflict
def register_supplier(data: Mapping[str, Any], *, actor: Any) -> Supplier:
    """Register a supplier for review (status pending). A USCC warning is kept and shown, not refused."""
    with transaction.atomic(durable=True):
        supplier = Supplier(**{k: v for k, v in data.items() if k in SUPPLIER_FIELDS})
        _clean_supplier(supplier, actor)
        if Supplier.objects.filter(organisation_id=supplier.organisation_id, uscc=supplier.uscc).exists():
            raise SupplierInvalid(details={"uscc": [_("This organisation already has a supplier with this code.")]})
        supplier.save()
        audit.record("register_supplier", supplier, actor=actor, after=audit.snapshot(supplier))
        return supplier


@retry_on_conflict
def update_supplier(supplier: Supplier, data: Mapping[str, Any], *, actor: Any) -> Supplier:
    with transaction.atomic(durable=True):
        locked = locks.suppliers_for_update([supplier.pk]).get()
        before = audit.snapshot(locked)
        for key, value in data.items():
            if key in SUPPLIER_FIELDS and key not in {"organisation", "uscc"}:
                setattr(locked, key, value)
        _clean_supplier(locked, actor)
        locked.save()
        after = audit.snapshot(locked)
        changed = {k: v for k, v in after.items() if before.get(k) != v and k != "updated_at"}
        if changed:
            audit.record("update_supplier", locked, actor=actor, before={k: before[k] for k in changed}, after=changed)
        return locked


def check_document(document: Any) -> list[str]:
    """Problems with an uploaded licence document: type (by name and content) and size."""
    problems: list[str] = []
    name = str(getattr(document, "name", "")).lower()
    extension = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    if extension not in DOCUMENT_SIGNATURES:
        return [_("Upload a PDF, JPEG or PNG file.")]
    size = int(getattr(document, "size", 0) or 0)
    if size > settings.BAOGONG_MAX_UPLOAD_BYTES:
        problems.append(
            _("The file is larger than %(mb)d MB.") % {"mb": settings.BAOGONG_MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    if size == 0:
        problems.append(_("The file is empty."))
    document.seek(0)
    head = document.read(8)
    document.seek(0)
    if not any(head.startswith(signature) for signature in DOCUMENT_SIGNATURES[extension]):
        problems.append(_("The file content is not a %(ext)s file.") % {"ext": extension.lstrip(".").upper()})
    return problems


@retry_on_conflict
def add_licence(supplier: Supplier, data: Mapping[str, Any], *, document: Any = None, actor: Any) -> SupplierLicence:
    """Record a licence with its number, scope, expiry and scanned document."""
    errors: dict[str, list[str]] = {}
    licence = SupplierLicence(
        supplier=supplier,
        kind=data.get("kind") or "",
        number=str(data.get("number") or "").strip(),
        scope=str(data.get("scope") or "").strip(),
        issued_on=data.get("issued_on"),
        expires_on=data.get("expires_on"),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    try:
        licence.full_clean(exclude=["document", "supplier", "uploaded_by"])
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    if licence.kind == LicenceKind.BUSINESS and licence.number and licence.number.upper() != supplier.uscc:
        errors.setdefault("number", []).append(
            _("A business licence number is the supplier's credit code %(uscc)s.") % {"uscc": supplier.uscc}
        )
    if licence.issued_on and licence.expires_on and licence.expires_on < licence.issued_on:
        errors.setdefault("expires_on", []).append(_("Expiry is before the issue date."))
    if document is not None:
        problems = check_document(document)
        if problems:
            errors["document"] = problems
    if errors:
        raise LicenceInvalid(details=errors)
    with transaction.atomic(durable=True):
        locks.suppliers_for_update([supplier.pk]).get()
        if document is not None:
            licence.document.save(document.name.rsplit("/", 1)[-1], document, save=False)
        licence.save()
        audit.record(
            "add_licence",
            licence,
            actor=actor,
            after=_licence_snapshot(licence),
            organisation_id=supplier.organisation_id,
        )
        return licence


def _licence_snapshot(licence: SupplierLicence) -> dict[str, Any]:
    # An empty FileField cannot go through audit.snapshot (its .url raises), so it is named here.
    data = audit.snapshot(licence, fields=["id", "supplier", "kind", "number", "scope", "issued_on", "expires_on"])
    data["document"] = licence.document.name or None
    return data


def licence_problems(supplier: Supplier, categories: list[str], *, on: dt.date | None = None) -> list[str]:
    """Why ``supplier`` may not supply ``categories`` on ``on``: each missing or expired licence, named."""
    day = on or timezone.localdate()
    licences = list(supplier.licences.all())
    problems: list[str] = []
    for category in categories:
        for alternatives in CATEGORY_LICENCES.get(category, [[LicenceKind.BUSINESS]]):
            held = [lic for lic in licences if lic.kind in alternatives]
            if any(lic.is_valid_on(day) for lic in held):
                continue
            names = _(" or ").join(str(LicenceKind(kind).label) for kind in alternatives)
            label = str(SupplyCategory(category).label) if category in SupplyCategory.values else category
            if held:
                latest = max(held, key=lambda lic: lic.expires_on or day)
                problem = _("%(licence)s %(number)s expired on %(date)s (needed for %(category)s)") % {
                    "licence": names,
                    "number": latest.number,
                    "date": latest.expires_on,
                    "category": label,
                }
            else:
                problem = _("no %(licence)s on file (needed for %(category)s)") % {
                    "licence": names,
                    "category": label,
                }
            if problem not in problems:
                problems.append(problem)
    return problems


def is_blacklisted(uscc: str) -> BlacklistEntry | None:
    return BlacklistEntry.objects.filter(uscc=uscc.strip().upper()).first()


def _set_status(supplier: Supplier, status: str, reason: str, actor: Any, verb: str) -> Supplier:
    before = {"status": supplier.status, "status_reason": supplier.status_reason}
    supplier.status = status
    supplier.status_reason = reason[:255]
    supplier.status_decided_by = actor if getattr(actor, "is_authenticated", False) else None
    supplier.status_decided_at = timezone.now()
    supplier.save(update_fields=["status", "status_reason", "status_decided_by", "status_decided_at", "updated_at"])
    audit.record(
        verb, supplier, actor=actor, before=before, after={"status": status, "status_reason": supplier.status_reason}
    )
    return supplier


@retry_on_conflict
def approve_supplier(supplier: Supplier, *, reason: str = "", actor: Any) -> Supplier:
    """Approve after review: refused when the USCC is blacklisted or a needed licence is missing or expired."""
    with transaction.atomic(durable=True):
        locked = locks.suppliers_for_update([supplier.pk]).get()
        if locked.status not in {SupplierStatus.PENDING, SupplierStatus.SUSPENDED}:
            raise SupplierStatusInvalid(
                _("A %(status)s supplier cannot be approved.") % {"status": locked.get_status_display()},
                details={"status": [locked.status]},
            )
        entry = is_blacklisted(locked.uscc)
        if entry is not None:
            raise SupplierBlacklisted(
                _("%(uscc)s is on the group blacklist since %(date)s: %(reason)s")
                % {
                    "uscc": entry.uscc,
                    "date": f"{timezone.localtime(entry.decided_at):%Y-%m-%d}",
                    "reason": entry.reason,
                },
                details={"uscc": [entry.reason]},
            )
        problems = licence_problems(locked, list(locked.categories))
        if problems:
            raise SupplierNotQualified(
                _("The supplier cannot be approved: %(problems)s") % {"problems": "; ".join(problems)},
                details={"licences": problems},
            )
        return _set_status(locked, SupplierStatus.APPROVED, reason.strip(), actor, "approve_supplier")


@retry_on_conflict
def suspend_supplier(supplier: Supplier, *, reason: str, actor: Any) -> Supplier:
    if not reason.strip():
        raise SupplierInvalid(details={"reason": [_("Give a reason.")]})
    with transaction.atomic(durable=True):
        locked = locks.suppliers_for_update([supplier.pk]).get()
        return _suspend(locked, reason.strip(), actor)


def _suspend(locked: Supplier, reason: str, actor: Any) -> Supplier:
    if locked.status == SupplierStatus.BLACKLISTED:
        raise SupplierStatusInvalid(
            _("A blacklisted supplier cannot be suspended."), details={"status": [locked.status]}
        )
    return _set_status(locked, SupplierStatus.SUSPENDED, reason, actor, "suspend_supplier")


@retry_on_conflict
def blacklist_supplier(supplier: Supplier, *, reason: str, actor: Any) -> BlacklistEntry:
    """Blacklist a USCC for the whole group: every enterprise's supplier with that code is blacklisted."""
    if not reason.strip():
        raise SupplierInvalid(details={"reason": [_("Give a reason.")]})
    with transaction.atomic(durable=True):
        ids = list(Supplier.objects.filter(uscc=supplier.uscc).values_list("pk", flat=True))
        same_code = list(locks.suppliers_for_update(ids))
        entry, _created = BlacklistEntry.objects.get_or_create(
            uscc=supplier.uscc,
            defaults={
                "name": supplier.name,
                "reason": reason.strip()[:255],
                "decided_by": actor if getattr(actor, "is_authenticated", False) else None,
                "organisation_id": supplier.organisation_id,
            },
        )
        audit.record(
            "blacklist_supplier",
            entry,
            actor=actor,
            after={"uscc": entry.uscc, "name": entry.name, "reason": entry.reason},
        )
        for other in same_code:
            if other.status != SupplierStatus.BLACKLISTED:
                _set_status(other, SupplierStatus.BLACKLISTED, reason.strip(), actor, "blacklist_supplier")
        return entry


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


def _check_lines(order: PurchaseOrder, lines: list[OrderLineInput], actor: Any) -> list[PurchaseOrderLine]:
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
    actor: Any,
    notes: str = "",
) -> PurchaseOrder:
    """Raise a requisition (draft order). Refused, with every reason, for an unqualified supplier."""
    if not user_scope(actor).allows(organisation_id=organisation.pk):
        raise OrderInvalid(details={"organisation": [_("You may not buy for this organisation.")]})
    if supplier.organisation_id != organisation.pk:
        raise OrderInvalid(details={"supplier": [_("The supplier is not registered for this organisation.")]})
    if not lines:
        raise OrderInvalid(details={"lines": [_("Add at least one line.")]})
    problems = supplier_problems(supplier, [line.item for line in lines])
    if problems:
        raise SupplierNotQualified(
            _("Cannot order from %(name)s: %(problems)s") % {"name": supplier.name, "problems": "; ".join(problems)},
            details={"supplier": problems},
        )
    order = PurchaseOrder(organisation=organisation, supplier=supplier, notes=notes.strip()[:255])
    built = _check_lines(order, lines, actor)
    with transaction.atomic(durable=True):
        order.requested_by = actor if getattr(actor, "is_authenticated", False) else None
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


def required_levels(order: PurchaseOrder) -> list[ApprovalLevel]:
    return list(
        ApprovalLevel.objects.filter(organisation_id=order.organisation_id, min_amount__lte=order.total)
        .prefetch_related("approvers")
        .order_by("level")
    )


def _set_order_status(order: PurchaseOrder, status: str, verb: str, actor: Any, **extra: Any) -> PurchaseOrder:
    before = {"status": order.status}
    order.status = status
    if status == OrderStatus.APPROVED and order.approved_at is None:
        order.approved_at = timezone.now()
    order.save()
    audit.record(verb, order, actor=actor, before=before, after={"status": status, **extra})
    return order


@retry_on_conflict
def submit_order(
    order: PurchaseOrder, *, actor: Any, emergency: bool = False, emergency_reason: str = ""
) -> PurchaseOrder:
    """Send a requisition for approval; the emergency fast-track orders at once and flags it for review."""
    if emergency and not emergency_reason.strip():
        raise OrderInvalid(details={"emergency_reason": [_("Say why this cannot wait for approval.")]})
    with transaction.atomic(durable=True):
        locked = _lock_order(order)
        if locked.status != OrderStatus.DRAFT:
            raise OrderStateInvalid(details={"status": [locked.status]})
        lines = list(locked.lines.select_related("item", "item__category"))
        problems = supplier_problems(locked.supplier, [line.item for line in lines])
        if problems:
            raise SupplierNotQualified(
                _("Cannot order from %(name)s: %(problems)s")
                % {"name": locked.supplier.name, "problems": "; ".join(problems)},
                details={"supplier": problems},
            )
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
        status = OrderStatus.PENDING_APPROVAL if levels else OrderStatus.APPROVED
        return _set_order_status(locked, status, "submit_order", actor, levels=[lv.level for lv in levels])


@retry_on_conflict
def approve_order(order: PurchaseOrder, *, actor: Any, comment: str = "") -> PurchaseOrder:
    """Approve the next pending level; the order is placed when the last required level approves."""
    with transaction.atomic(durable=True):
        locked = _lock_order(order)
        if locked.status != OrderStatus.PENDING_APPROVAL:
            raise OrderStateInvalid(details={"status": [locked.status]})
        done = set(locked.approvals.filter(is_approved=True).values_list("level", flat=True))
        pending = [lv for lv in required_levels(locked) if lv.level not in done]
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
        if locked.requested_by_id == actor.pk:
            raise NotAnApprover(_("You cannot approve your own requisition."))
        problems = supplier_problems(
            locked.supplier, [line.item for line in locked.lines.select_related("item", "item__category")]
        )
        if problems:
            raise SupplierNotQualified(
                _("Cannot order from %(name)s: %(problems)s")
                % {"name": locked.supplier.name, "problems": "; ".join(problems)},
                details={"supplier": problems},
            )
        OrderApproval.objects.create(order=locked, level=level.level, approver=actor, is_approved=True, comment=comment)
        status = OrderStatus.APPROVED if len(pending) == 1 else OrderStatus.PENDING_APPROVAL
        return _set_order_status(locked, status, "approve_order", actor, level=level.level, comment=comment)


@retry_on_conflict
def reject_order(order: PurchaseOrder, *, reason: str, actor: Any) -> PurchaseOrder:
    if not reason.strip():
        raise OrderInvalid(details={"reason": [_("Give a reason.")]})
    with transaction.atomic(durable=True):
        locked = _lock_order(order)
        if locked.status != OrderStatus.PENDING_APPROVAL:
            raise OrderStateInvalid(details={"status": [locked.status]})
        done = set(locked.approvals.filter(is_approved=True).values_list("level", flat=True))
        pending = [lv for lv in required_levels(locked) if lv.level not in done]
        if pending and (actor is None or not pending[0].approvers.filter(pk=actor.pk).exists()):
            raise NotAnApprover()
        OrderApproval.objects.create(
            order=locked, level=pending[0].level if pending else 0, approver=actor, is_approved=False, comment=reason
        )
        locked.status_reason = reason.strip()[:255]
        return _set_order_status(locked, OrderStatus.REJECTED, "reject_order", actor, reason=locked.status_reason)


@retry_on_conflict
def review_emergency_order(order: PurchaseOrder, *, note: str, actor: Any) -> PurchaseOrder:
    """The after-the-fact review of a fast-tracked order."""
    if not note.strip():
        raise OrderInvalid(details={"note": [_("Record the review's conclusion.")]})
    with transaction.atomic(durable=True):
        locked = _lock_order(order)
        if not locked.needs_review:
            raise OrderStateInvalid(_("This order does not await review."))
        if locked.requested_by_id == getattr(actor, "pk", None):
            raise NotAnApprover(_("You cannot review your own emergency order."))
        locked.needs_review = False
        locked.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
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
def cancel_order(order: PurchaseOrder, *, reason: str, actor: Any) -> PurchaseOrder:
    if not reason.strip():
        raise OrderInvalid(details={"reason": [_("Give a reason.")]})
    with transaction.atomic(durable=True):
        locked = _lock_order(order)
        if locked.status not in {OrderStatus.DRAFT, OrderStatus.PENDING_APPROVAL, OrderStatus.APPROVED}:
            raise OrderStateInvalid(details={"status": [locked.status]})
        locked.status_reason = reason.strip()[:255]
        return _set_order_status(locked, OrderStatus.CANCELLED, "cancel_order", actor, reason=locked.status_reason)


# --- receipt against an order -----------------------------------------------------------------
@dataclass
class ReceiveLineInput:
    line: PurchaseOrderLine
    qty: int
    batch: str
    expiry: dt.date | None = None
    production_date: dt.date | None = None


def receive_against_order(
    order: PurchaseOrder, lines: list[ReceiveLineInput], *, actor: Any, delivery_note: str = ""
) -> list[PurchaseReceipt]:
    """Receive goods against an order into pending lots (they wait for inspection).

    The stock ledger's ``receive_stock`` is its own transaction, so this runs in three: claim the
    quantities on the locked order lines, book the goods (the claim is given back if that fails),
    record the receipts against the order.
    """
    current = PurchaseOrder.objects.select_related("supplier").get(pk=order.pk)
    if current.status not in {OrderStatus.APPROVED, OrderStatus.PARTIALLY_RECEIVED}:
        raise OrderStateInvalid(
            _("Order %(number)s is %(status)s; goods can only be received against a placed order.")
            % {"number": current.number, "status": current.get_status_display()},
            details={"status": [current.status]},
        )
    if not lines:
        raise ReceiptInvalid(details={"lines": [_("Add at least one line.")]})
    errors: dict[str, Any] = {}
    by_warehouse: dict[int, list[tuple[int, ReceiveLineInput]]] = {}
    wanted: dict[int, int] = {}
    for i, entry in enumerate(lines):
        e: dict[str, list[str]] = {}
        line = PurchaseOrderLine.objects.select_related("item", "warehouse").get(pk=entry.line.pk)
        entry.line = line
        if line.order_id != current.pk:
            e["line"] = [_("The line is not part of this order.")]
        if not isinstance(entry.qty, int) or entry.qty <= 0:
            e["qty"] = [_("Quantities must be whole numbers above zero.")]
        else:
            wanted[line.pk] = wanted.get(line.pk, 0) + entry.qty
            if wanted[line.pk] > line.open_qty:
                e["qty"] = [
                    _("Only %(open)d of %(item)s are still open on this order.")
                    % {"open": line.open_qty, "item": line.item.name}
                ]
        if not entry.batch.strip():
            e["batch"] = [_("Enter the batch number on the packaging.")]
        elif Lot.objects.filter(item_id=line.item_id, batch=entry.batch.strip()).exists():
            e["batch"] = [_("Batch %(batch)s of this item was received before.") % {"batch": entry.batch.strip()}]
        if e:
            errors[f"lines[{i}]"] = e
        else:
            by_warehouse.setdefault(line.warehouse_id, []).append((i, entry))
    if errors:
        raise ReceiptInvalid(details=errors)
    scope = user_scope(actor)
    if not scope.allows(organisation_id=current.organisation_id) and not all(
        scope.allows(site_id=w) for w in by_warehouse
    ):
        raise ReceiptInvalid(details={"warehouse": [_("The warehouse is outside your scope.")]})
    if len(by_warehouse) > 1:
        raise ReceiptInvalid(details={"lines": [_("Receive one warehouse's delivery at a time.")]})
    [entries] = by_warehouse.values()
    names = {entry.line.pk: entry.line.item.name for _i, entry in entries}
    # 1. Claim the quantities on the order lines under lock: concurrent receipts cannot over-receive.
    with transaction.atomic(durable=True):
        locked = _lock_order(current)
        if locked.status not in {OrderStatus.APPROVED, OrderStatus.PARTIALLY_RECEIVED}:
            raise OrderStateInvalid(details={"status": [locked.status]})
        locked_lines = {line.pk: line for line in locks.order_lines_for_update(sorted(wanted))}
        for line_id, qty in sorted(wanted.items()):
            line = locked_lines[line_id]
            if qty > line.open_qty:
                raise ReceiptInvalid(
                    details={
                        "qty": [
                            _("Only %(open)d of %(item)s are still open on this order.")
                            % {"open": line.open_qty, "item": names[line_id]}
                        ]
                    }
                )
            PurchaseOrderLine.objects.filter(pk=line_id).update(received_qty=F("received_qty") + qty)
    # 2. Book the goods into the ledger as pending lots (its own transaction); give the claim back on failure.
    try:
        stock_receipt = inventory_actions.receive_stock(
            entries[0][1].line.warehouse,
            [
                inventory_actions.ReceiptLineInput(
                    item=entry.line.item,
                    batch=entry.batch.strip(),
                    qty=entry.qty,
                    unit_cost=entry.line.unit_price,
                    expiry=entry.expiry,
                    production_date=entry.production_date,
                )
                for _i, entry in entries
            ],
            actor=actor,
            reference=current.number,
            qc_status=QcStatus.PENDING,
            supplier_ref=current.supplier.uscc,
            supplier_name=current.supplier.name,
        )
    except Exception:
        with transaction.atomic(durable=True):
            list(locks.order_lines_for_update(sorted(wanted)))
            for line_id, qty in sorted(wanted.items()):
                PurchaseOrderLine.objects.filter(pk=line_id).update(received_qty=F("received_qty") - qty)
        raise
    # 3. Record what came in against the order.
    now = timezone.now()
    created: list[PurchaseReceipt] = []
    with transaction.atomic(durable=True):
        locked = _lock_order(current)
        for _i, entry in entries:
            line = entry.line
            lot = Lot.objects.get(item_id=line.item_id, batch=entry.batch.strip())
            created.append(
                PurchaseReceipt.objects.create(
                    order=locked,
                    line=line,
                    stock_receipt=stock_receipt,
                    lot=lot,
                    qty=entry.qty,
                    received_at=now,
                    received_by=actor if getattr(actor, "is_authenticated", False) else None,
                    is_on_time=timezone.localtime(now).date() <= line.delivery_date,
                    delivery_note=delivery_note.strip()[:64],
                )
            )
        open_left = any(line.open_qty > 0 for line in PurchaseOrderLine.objects.filter(order=locked))
        status = OrderStatus.PARTIALLY_RECEIVED if open_left else OrderStatus.RECEIVED
        _set_order_status(
            locked,
            status,
            "receive_against_order",
            actor,
            receipts=[{"lot": r.lot_id, "qty": r.qty, "on_time": r.is_on_time} for r in created],
        )
    return created


# --- inspection -------------------------------------------------------------------------------
@dataclass
class InspectionInput:
    batch: str
    registration_number: str = ""
    registrant: str = ""
    production_date: dt.date | None = None
    expiry: dt.date | None = None
    has_inspection_report: bool = False
    packaging_ok: bool = True
    packaging_findings: str = ""
    sample_result: str = SampleResult.NOT_TESTED


def is_antigen_kit(item: Item) -> bool:
    node = item.category
    while node is not None:
        if node.code == "MED-DEV-IVD":
            return True
        node = node.parent
    return "抗原" in item.name


def inspection_findings(lot: Lot, data: InspectionInput, *, on: dt.date | None = None) -> tuple[list[str], list[str]]:
    """``(findings, red_flags)``: every reason the lot may not be released, and the antigen-kit red flags."""
    day = on or timezone.localdate()
    item = lot.item
    findings: list[str] = []
    red_flags: list[str] = []
    number = data.registration_number.strip().replace(" ", "")
    kind = item.category.effective_regulatory_kind() if item.category is not None else ""
    if kind or item.regulatory_number:
        if not number:
            findings.append(_("No registration/approval number on the label."))
        else:
            check = check_drug_approval(number) if kind == "drug" else check_device_registration(number)
            if not check.ok:
                findings.append(
                    _("Number %(number)s is not valid: %(reason)s") % {"number": number, "reason": check.reason}
                )
            if item.regulatory_number and number != item.regulatory_number.strip().replace(" ", ""):
                findings.append(
                    _("Number %(number)s does not match the item master's %(master)s")
                    % {"number": number, "master": item.regulatory_number}
                )
    if is_antigen_kit(item):
        expected = NMPA_ANTIGEN_REGISTRANTS.get(number, "")
        red_flags = antigen_kit_red_flags(number, registrant=data.registrant, expected_registrant=expected)
        if number and not red_flags and number not in NMPA_ANTIGEN_REGISTRANTS:
            red_flags.append(_("not on the NMPA antigen-kit list known to Baogong; verify at nmpa.gov.cn"))
        findings.extend(_("Antigen-kit red flag: %(flag)s") % {"flag": flag} for flag in red_flags)
    if data.batch.strip() != lot.batch:
        findings.append(
            _("Batch on the label %(label)s differs from the received batch %(batch)s")
            % {"label": data.batch.strip(), "batch": lot.batch}
        )
    production = data.production_date or lot.production_date
    expiry = data.expiry or lot.expiry
    if data.expiry and lot.expiry and data.expiry != lot.expiry:
        findings.append(
            _("Expiry on the label %(label)s differs from the receipt's %(expiry)s")
            % {"label": data.expiry, "expiry": lot.expiry}
        )
    if production and production > day:
        findings.append(_("Production date %(date)s is in the future.") % {"date": production})
    if expiry and expiry < day:
        findings.append(_("Expired on %(date)s.") % {"date": expiry})
    if production and expiry:
        if expiry <= production:
            findings.append(_("Expiry is not after the production date."))
        elif item.shelf_life_days and (expiry - production).days > item.shelf_life_days + 31:
            findings.append(
                _("Shelf life on the label is %(days)d days; the item's shelf life is %(life)d days.")
                % {"days": (expiry - production).days, "life": item.shelf_life_days}
            )
    elif item.shelf_life_days and not expiry:
        findings.append(_("No expiry date on the label."))
    if not data.has_inspection_report:
        findings.append(_("No inspection report (检验报告) for this batch."))
    if not data.packaging_ok:
        findings.append(
            _("Packaging/label findings: %(text)s") % {"text": data.packaging_findings.strip() or _("not in order")}
        )
    if data.sample_result == SampleResult.FAIL:
        findings.append(_("The sample test failed."))
    return findings, red_flags


@retry_on_conflict
def inspect_lot(lot: Lot, data: InspectionInput, *, decision: str, reason: str = "", actor: Any) -> Inspection:
    """Record the inspection and decide: release (only with no findings), quarantine or reject (with a reason)."""
    current = Lot.objects.select_related("item", "item__category").get(pk=lot.pk)
    receipt = PurchaseReceipt.objects.filter(lot=current).select_related("order", "line").order_by("-pk").first()
    if receipt is None:
        raise LotNotFromSupplier()
    if current.qc_status != QcStatus.PENDING:
        raise InspectionInvalid(
            _("Lot %(batch)s is already %(status)s.")
            % {"batch": current.batch, "status": current.get_qc_status_display()},
            details={"lot": [current.qc_status]},
        )
    if decision not in InspectionDecision.values:
        raise InspectionInvalid(details={"decision": [_("Unknown decision.")]})
    if data.sample_result not in SampleResult.values:
        raise InspectionInvalid(details={"sample_result": [_("Unknown sample result.")]})
    findings, red_flags = inspection_findings(current, data)
    if decision == InspectionDecision.RELEASE and findings:
        raise InspectionInvalid(
            _("The lot cannot be released: %(findings)s") % {"findings": "; ".join(findings)},
            details={"findings": findings},
        )
    if decision != InspectionDecision.RELEASE and not reason.strip():
        raise InspectionInvalid(details={"reason": [_("Give a reason.")]})
    status = {
        InspectionDecision.RELEASE: QcStatus.RELEASED,
        InspectionDecision.QUARANTINE: QcStatus.QUARANTINED,
        InspectionDecision.REJECT: QcStatus.REJECTED,
    }[InspectionDecision(decision)]
    note = reason.strip() or _("Inspection passed.")
    with transaction.atomic(durable=True):
        inspection = Inspection.objects.create(
            lot=current,
            receipt=receipt,
            registration_number=data.registration_number.strip()[:64],
            registrant=data.registrant.strip()[:128],
            batch=data.batch.strip()[:64],
            production_date=data.production_date,
            expiry=data.expiry,
            has_inspection_report=data.has_inspection_report,
            packaging_ok=data.packaging_ok,
            packaging_findings=data.packaging_findings.strip()[:255],
            sample_result=data.sample_result,
            findings=findings,
            red_flags=red_flags,
            decision=decision,
            reason=reason.strip()[:255],
            inspector=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            "inspect_lot",
            inspection,
            actor=actor,
            after={"lot": current.pk, "decision": decision, "findings": findings, "red_flags": red_flags},
        )
    inventory_actions.set_lot_qc_status(current, status, reason=note[:255], actor=actor)
    return inspection


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
def mark_lot_counterfeit(lot: Lot, *, reason: str, actor: Any) -> CounterfeitCase:
    """Suspected counterfeit: suspend the supplier, block its open orders, quarantine every lot of
    that item from it everywhere, open the recall list and alert the command centre.

    The stock ledger's quarantine is its own transaction per lot, run after the case is recorded;
    calling this again for the same lot finishes any quarantine left undone and changes nothing else.
    """
    if not reason.strip():
        raise InspectionInvalid(details={"reason": [_("Give a reason.")]})
    receipt = PurchaseReceipt.objects.filter(lot_id=lot.pk).select_related("order__supplier").order_by("pk").first()
    if receipt is None:
        raise LotNotFromSupplier()
    supplier = receipt.order.supplier
    reason = reason.strip()[:255]
    case = CounterfeitCase.objects.filter(lot_id=lot.pk).first()
    if case is None:
        with transaction.atomic(durable=True):
            same_code = list(
                locks.suppliers_for_update(Supplier.objects.filter(uscc=supplier.uscc).values_list("pk", flat=True))
            )
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
            ledger.flag_suspected_counterfeit([lot.pk])
            case = CounterfeitCase.objects.create(
                lot_id=lot.pk,
                supplier=supplier,
                item_id=lot.item_id,
                reason=reason,
                marked_by=actor if getattr(actor, "is_authenticated", False) else None,
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
                organisation_id=None,
            )
    for held_lot in Lot.objects.filter(pk__in=case.lots.values("pk")).order_by("pk"):
        if held_lot.qc_status == QcStatus.REJECTED:
            continue
        if held_lot.qc_status == QcStatus.QUARANTINED and not held_outside_quarantine(held_lot):
            continue
        inventory_actions.quarantine_lot_everywhere(
            held_lot,
            reason=(_("Suspected counterfeit (case %(case)s): %(reason)s") % {"case": case, "reason": case.reason})[
                :255
            ],
            actor=actor,
        )
    return case
