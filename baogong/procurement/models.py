"""Suppliers and their licences, the group-wide blacklist, purchase orders, receipts, inspections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.core.identifiers import validate_uscc
from baogong.core.models import TimeStampedModel, who_field
from baogong.core.scoping import scope_by_fields
from baogong.procurement.choices import InspectionDecision, LicenceKind, OrderStatus, SampleResult, SupplierStatus


class Supplier(TimeStampedModel):
    """A company the procuring organisation buys from; scoped to that organisation."""

    organisation = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("procuring organisation"),
        related_name="suppliers",
        on_delete=models.PROTECT,
    )
    name = models.CharField(_("name"), max_length=128)
    uscc = models.CharField(_("unified social credit code"), max_length=18, validators=[validate_uscc])
    uscc_warnings = models.JSONField(_("code warnings"), default=list, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=64)
    contact_name = models.CharField(_("contact"), max_length=64, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    categories = models.JSONField(_("categories supplied"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=SupplierStatus.choices, default=SupplierStatus.PENDING, db_index=True
    )
    status_reason = models.CharField(_("status reason"), max_length=255, blank=True)
    status_decided_by = who_field(_("decided by"))
    status_decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "uscc"], name="procurement_supplier_org_uscc_uniq")
        ]
        permissions = [
            ("review_supplier", "Can approve, suspend or blacklist suppliers"),
            ("mark_counterfeit", "Can mark a lot as suspected counterfeit"),
            ("view_recall", "Can see recall lists and traceability"),
        ]

    def __str__(self) -> str:
        return self.name

    audit_scope = scope_by_fields


def licence_upload_to(instance: SupplierLicence, filename: str) -> str:
    return f"procurement/licences/{instance.supplier_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class SupplierLicence(TimeStampedModel):
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), related_name="licences", on_delete=models.CASCADE
    )
    kind = models.CharField(_("kind"), max_length=24, choices=LicenceKind.choices)
    number = models.CharField(_("number"), max_length=64)
    scope = models.TextField(_("business scope"), blank=True)
    issued_on = models.DateField(pgettext_lazy("licence", "issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True, help_text=_("Empty for long-term."))
    document = models.FileField(pgettext_lazy("file", "document"), upload_to=licence_upload_to, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )

    scope_org_field: ClassVar[str] = "supplier__organisation_id"

    class Meta:
        verbose_name = _("supplier licence")
        verbose_name_plural = _("supplier licences")
        ordering = ["supplier_id", "kind", "expires_on"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    audit_scope = scope_by_fields

    def is_valid_on(self, day: dt.date) -> bool:
        return self.expires_on is None or self.expires_on >= day


class BlacklistEntry(models.Model):
    """A USCC no enterprise of the group may buy from (group-wide, not scoped)."""

    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=128)
    reason = models.CharField(_("reason"), max_length=255)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, related_name="+", on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("listed by"), related_name="+", on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist")
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.name} {self.uscc}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.organisation_id, None


class ProcurementPolicy(models.Model):
    """Editable rules of an organisation (or the group default when ``organisation`` is empty)."""

    organisation = models.OneToOneField(
        "orgs.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        related_name="procurement_policy",
        on_delete=models.CASCADE,
    )
    max_markup_percent = models.DecimalField(
        _("price markup needing a reason (%)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("30"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    licence_alert_days = models.PositiveIntegerField(_("warn of licences expiring within (days)"), default=30)
    approval_from = models.DecimalField(
        _("orders from this total need an approval (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("100000"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Even when no approval level covers them; approved by another person with the right to approve "
            "purchase orders."
        ),
    )

    class Meta:
        verbose_name = _("procurement policy")
        verbose_name_plural = _("procurement policies")

    def __str__(self) -> str:
        return str(self.organisation or _("group default"))


class ApprovalLevel(models.Model):
    """Orders of at least ``min_amount`` need an approval at this level by one of its approvers."""

    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organisation"), related_name="approval_levels", on_delete=models.CASCADE
    )
    level = models.PositiveSmallIntegerField(_("level"))
    name = models.CharField(_("name"), max_length=64)
    min_amount = models.DecimalField(
        _("from amount (yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("approvers"), related_name="+")

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("approval level")
        verbose_name_plural = _("approval levels")
        ordering = ["organisation_id", "level"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "level"], name="procurement_approvallevel_org_level_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} L{self.level} ≥ {self.min_amount}"


class PurchaseOrder(TimeStampedModel):
    """A requisition while draft, then a purchase order once approved (or fast-tracked)."""

    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("procuring organisation"), related_name="+", on_delete=models.PROTECT
    )
    supplier = models.ForeignKey(Supplier, verbose_name=_("supplier"), related_name="orders", on_delete=models.PROTECT)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT, db_index=True
    )
    total = models.DecimalField(_("total (yuan)"), max_digits=16, decimal_places=2, default=Decimal("0"))
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    is_emergency = models.BooleanField(_("emergency fast-track"), default=False)
    emergency_reason = models.CharField(_("emergency reason"), max_length=255, blank=True)
    needs_review = models.BooleanField(_("needs review after the fact"), default=False, db_index=True)
    reviewed_by = who_field(_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, related_name="+", on_delete=models.SET_NULL
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("ordered at"), null=True, blank=True)
    status_reason = models.CharField(_("status reason"), max_length=255, blank=True)

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("approve_purchaseorder", "Can approve purchase orders (as a named approver)"),
            ("review_emergency_order", "Can review fast-tracked emergency orders"),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(total__gte=0), name="procurement_po_total_nonneg")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"PO-{timezone.localdate(self.created_at):%Y%m%d}-{self.pk:05d}" if self.pk else "PO"

    audit_scope = scope_by_fields


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, verbose_name=_("order"), related_name="lines", on_delete=models.CASCADE)
    item = models.ForeignKey("catalog.Item", verbose_name=_("item"), related_name="+", on_delete=models.PROTECT)
    qty = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(
        _("unit price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    delivery_date = models.DateField(_("delivery date"))
    warehouse = models.ForeignKey("orgs.Site", verbose_name=_("warehouse"), related_name="+", on_delete=models.PROTECT)
    reference_price = models.DecimalField(_("reference price"), max_digits=12, decimal_places=2, null=True, blank=True)
    last_price = models.DecimalField(_("last purchase price"), max_digits=12, decimal_places=2, null=True, blank=True)
    is_price_flagged = models.BooleanField(_("price above the allowed markup"), default=False)
    price_reason = models.CharField(_("reason for the price"), max_length=255, blank=True)
    received_qty = models.PositiveIntegerField(_("received"), default=0)

    scope_org_field: ClassVar[str] = "order__organisation_id"

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(qty__gte=1), name="procurement_poline_qty_positive"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="procurement_poline_price_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.item_id} × {self.qty}"

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.qty

    @property
    def open_qty(self) -> int:
        return max(0, self.qty - self.received_qty)


class OrderApproval(models.Model):
    order = models.ForeignKey(PurchaseOrder, related_name="approvals", on_delete=models.CASCADE)
    level = models.PositiveSmallIntegerField(_("level"))
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approver"), null=True, related_name="+", on_delete=models.SET_NULL
    )
    is_approved = models.BooleanField(_("approved"))
    comment = models.CharField(_("comment"), max_length=255, blank=True)
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        ordering = ["order_id", "level", "id"]

    def __str__(self) -> str:
        return f"{self.order} L{self.level} {self.is_approved}"


class PurchaseReceipt(models.Model):
    """Goods received against one order line into one (pending) lot."""

    order = models.ForeignKey(PurchaseOrder, related_name="receipts", on_delete=models.PROTECT)
    line = models.ForeignKey(PurchaseOrderLine, related_name="receipts", on_delete=models.PROTECT)
    stock_receipt = models.ForeignKey("inventory.Receipt", related_name="+", on_delete=models.PROTECT)
    lot = models.ForeignKey("inventory.Lot", related_name="purchase_receipts", on_delete=models.PROTECT)
    qty = models.PositiveIntegerField(_("quantity"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), null=True, related_name="+", on_delete=models.SET_NULL
    )
    is_on_time = models.BooleanField(_("on time"))
    delivery_note = models.CharField(pgettext_lazy("supplier", "delivery note"), max_length=64, blank=True)

    scope_org_field: ClassVar[str] = "order__organisation_id"
    scope_site_field: ClassVar[str] = "line__warehouse_id"

    class Meta:
        verbose_name = _("goods receipt")
        verbose_name_plural = _("goods receipts")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order} / {self.lot_id} × {self.qty}"

    audit_scope = scope_by_fields


class Inspection(models.Model):
    """The inspector's record for one received lot, with the findings and the decision."""

    lot = models.ForeignKey("inventory.Lot", related_name="inspections", on_delete=models.PROTECT)
    receipt = models.ForeignKey(PurchaseReceipt, related_name="inspections", on_delete=models.PROTECT)
    registration_number = models.CharField(_("registration/approval number on the label"), max_length=64, blank=True)
    registrant = models.CharField(_("registrant on the label"), max_length=128, blank=True)
    batch = models.CharField(_("batch on the label"), max_length=64)
    production_date = models.DateField(_("production date"), null=True, blank=True)
    expiry = models.DateField(_("expiry"), null=True, blank=True)
    has_inspection_report = models.BooleanField(_("inspection report present"), default=False)
    packaging_ok = models.BooleanField(_("packaging and label in order"), default=True)
    packaging_findings = models.CharField(_("packaging/label findings"), max_length=255, blank=True)
    sample_result = models.CharField(
        _("sample test"), max_length=16, choices=SampleResult.choices, default=SampleResult.NOT_TESTED
    )
    findings = models.JSONField(_("findings"), default=list, blank=True)
    red_flags = models.JSONField(_("red flags"), default=list, blank=True)
    decision = models.CharField(_("decision"), max_length=16, choices=InspectionDecision.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), null=True, related_name="+", on_delete=models.SET_NULL
    )
    inspected_at = models.DateTimeField(_("inspected at"), default=timezone.now)

    scope_org_field: ClassVar[str] = "receipt__order__organisation_id"
    scope_site_field: ClassVar[str] = "receipt__line__warehouse_id"

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_at", "-id"]

    def __str__(self) -> str:
        return f"{self.lot_id} {self.decision}"

    audit_scope = scope_by_fields


class CounterfeitCase(models.Model):
    """A lot marked as suspected counterfeit, with everything the response did."""

    lot = models.ForeignKey("inventory.Lot", verbose_name=_("lot"), related_name="+", on_delete=models.PROTECT)
    supplier = models.ForeignKey(Supplier, verbose_name=_("supplier"), related_name="+", on_delete=models.PROTECT)
    item = models.ForeignKey("catalog.Item", verbose_name=_("item"), related_name="+", on_delete=models.PROTECT)
    lots = models.ManyToManyField("inventory.Lot", verbose_name=_("lots quarantined"), related_name="+")
    blocked_orders = models.ManyToManyField(PurchaseOrder, verbose_name=_("orders blocked"), related_name="+")
    reason = models.CharField(_("reason"), max_length=255)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("marked by"), null=True, related_name="+", on_delete=models.SET_NULL
    )
    marked_at = models.DateTimeField(_("marked at"), default=timezone.now)

    scope_org_field: ClassVar[str] = "supplier__organisation_id"

    class Meta:
        verbose_name = _("counterfeit case")
        verbose_name_plural = _("counterfeit cases")
        ordering = ["-marked_at", "-id"]

    def __str__(self) -> str:
        return f"CF-{self.pk:05d}" if self.pk else "CF"

    audit_scope = scope_by_fields
