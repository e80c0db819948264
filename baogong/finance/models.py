"""Missions (保供任务), their cost lines and reimbursement claims to the funder."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.core.models import TimeStampedModel
from baogong.core.scoping import scope_by_fields
from baogong.finance.choices import ClaimStatus, CostCategory, CostStatus, MissionKind


class Mission(TimeStampedModel):
    """A supply-assurance task with a funder, a budget, a period and the sites it serves."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=24, choices=MissionKind.choices, default=MissionKind.OTHER)
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("owning organisation"), related_name="missions", on_delete=models.PROTECT
    )
    funder = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("funder"), related_name="funded_missions", on_delete=models.PROTECT
    )
    budget = models.DecimalField(_("budget (yuan)"), max_digits=14, decimal_places=2)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    recipients = models.ManyToManyField(
        "orgs.Site", verbose_name=pgettext_lazy("aid", "recipients"), blank=True, related_name="missions"
    )
    description = models.TextField(_("description"), blank=True)

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        ordering = ["code"]
        permissions = [
            ("approve_costline", "Can approve cost lines"),
            ("manage_claim", "Can prepare and follow reimbursement claims"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(budget__gte=0), name="finance_mission_budget_ge_0"),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="finance_mission_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    audit_scope = scope_by_fields


class ReimbursementClaim(TimeStampedModel):
    """A claim to the mission's funder for approved cost lines."""

    mission = models.ForeignKey(Mission, verbose_name=_("mission"), related_name="claims", on_delete=models.PROTECT)
    number = models.CharField(_("number"), max_length=32, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT)
    amount = models.DecimalField(_("amount claimed"), max_digits=14, decimal_places=2, default=Decimal("0"))
    amount_received = models.DecimalField(_("amount received"), max_digits=14, decimal_places=2, default=Decimal("0"))
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=255, blank=True)

    scope_org_field: ClassVar[str] = "mission__organisation_id"

    class Meta:
        verbose_name = _("reimbursement claim")
        verbose_name_plural = _("reimbursement claims")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_received__gte=0) & models.Q(amount_received__lte=models.F("amount")),
                name="finance_claim_received_le_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    audit_scope = scope_by_fields

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.amount_received


class CostLine(TimeStampedModel):
    """One cost of a mission: an invoice, a transport bill, a payroll, goods delivered at cost."""

    mission = models.ForeignKey(Mission, verbose_name=_("mission"), related_name="cost_lines", on_delete=models.PROTECT)
    category = models.CharField(_("category"), max_length=16, choices=CostCategory.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    incurred_on = models.DateField(_("date"))
    invoice_number = models.CharField(_("invoice number"), max_length=64, blank=True)
    supplier = models.CharField(_("supplier"), max_length=128, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    attachment = models.FileField(_("attachment"), upload_to="finance/costs/%Y/%m/", blank=True)
    status = models.CharField(_("status"), max_length=16, choices=CostStatus.choices, default=CostStatus.PENDING)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=255, blank=True)
    source_key = models.CharField(_("source"), max_length=64, blank=True)
    claim = models.ForeignKey(
        ReimbursementClaim,
        verbose_name=_("claim"),
        null=True,
        blank=True,
        related_name="lines",
        on_delete=models.SET_NULL,
    )

    scope_org_field: ClassVar[str] = "mission__organisation_id"

    class Meta:
        verbose_name = _("cost line")
        verbose_name_plural = _("cost lines")
        ordering = ["incurred_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="finance_costline_amount_gt_0"),
            models.UniqueConstraint(
                fields=["mission", "source_key"],
                condition=~models.Q(source_key=""),
                name="finance_costline_source_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.amount}"

    audit_scope = scope_by_fields


class ClaimPayment(models.Model):
    """Money received from the funder against a claim."""

    claim = models.ForeignKey(ReimbursementClaim, related_name="payments", on_delete=models.PROTECT)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)

    scope_org_field: ClassVar[str] = "claim__mission__organisation_id"

    class Meta:
        verbose_name = _("claim payment")
        verbose_name_plural = _("claim payments")
        ordering = ["received_on", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="finance_payment_amount_gt_0")]

    def __str__(self) -> str:
        return f"{self.claim} {self.amount}"
