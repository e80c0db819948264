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

from baogong.core.identifiers import validate_uscc
from baogong.core.models import TimeStampedModel
from baogong.procurement.choices import LicenceKind, SupplierStatus


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
    status_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
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

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.organisation_id, None


def licence_upload_to(instance: SupplierLicence, filename: str) -> str:
    return f"procurement/licences/{instance.supplier_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class SupplierLicence(TimeStampedModel):
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), related_name="licences", on_delete=models.CASCADE
    )
    kind = models.CharField(_("kind"), max_length=24, choices=LicenceKind.choices)
    number = models.CharField(_("number"), max_length=64)
    scope = models.TextField(_("business scope"), blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True, help_text=_("Empty for long-term."))
    document = models.FileField(_("document"), upload_to=licence_upload_to, blank=True)
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

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.supplier.organisation_id, None

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
