"""Premises, tenants, leases, the rent roll and rent-relief applications."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.core.identifiers import mask_idcard, validate_idcard, validate_uscc
from baogong.core.models import TimeStampedModel, who_field
from baogong.core.scoping import scope_by_fields
from baogong.property import rules
from baogong.property.choices import (
    ApplicationStatus,
    CreditKind,
    DocumentKind,
    InvoiceStatus,
    PeriodMonths,
    Settlement,
    TenantDocumentKind,
    TenantKind,
)

ZERO = Decimal("0.00")


SIZE_CLASS_CHOICES = [
    (rules.MICRO, _("Micro enterprise")),
    (rules.SMALL, _("Small enterprise")),
    (rules.MEDIUM, _("Medium-sized enterprise")),
    (rules.LARGE, _("Large enterprise")),
    (rules.INDIVIDUAL, _("Individual business")),
]
"""A size class (``rules.size_class_of``) in people's words, on pages and in the change history."""


class MaskedCharField(models.CharField):  # type: ignore[type-arg]
    """A personal-data field: audit snapshots store ``***`` instead of the value."""

    audit_masked = True


class Policy(TimeStampedModel):
    """A dated rent-relief policy (editable by an administrator)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    base_months = models.PositiveSmallIntegerField(_("months waived"))
    extra_months_with_proof = models.PositiveSmallIntegerField(_("extra months with one proof"), default=0)
    documents = models.CharField(_("documents required"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("relief policy")
        verbose_name_plural = _("relief policies")
        ordering = ["effective_from", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=models.F("effective_from")),
                name="property_policy_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.code

    def terms(self) -> rules.PolicyTerms:
        return rules.PolicyTerms(
            code=self.code,
            name=self.name,
            effective_from=self.effective_from,
            effective_to=self.effective_to,
            base_months=self.base_months,
            extra_months_with_proof=self.extra_months_with_proof,
        )


class Property(TimeStampedModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    owner = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=pgettext_lazy("premises", "owner"),
        related_name="properties",
        on_delete=models.PROTECT,
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    area = models.ForeignKey(
        "orgs.AdministrativeArea", verbose_name=_("street/town"), null=True, blank=True, on_delete=models.PROTECT
    )
    use = models.CharField(_("use"), max_length=64, blank=True)
    is_state_owned = models.BooleanField(_("state-owned"), default=True)

    scope_org_field: ClassVar[str] = "owner_id"

    class Meta:
        verbose_name = _("property")
        verbose_name_plural = _("properties")
        ordering = ["code"]
        permissions = [
            ("import_leases", "Can import tenants and leases"),
            ("manage_rent_roll", "Can issue invoices and record payments"),
        ]

    def __str__(self) -> str:
        return self.name

    audit_scope = scope_by_fields


class Unit(models.Model):
    property = models.ForeignKey(Property, verbose_name=_("property"), related_name="units", on_delete=models.CASCADE)
    code = models.CharField(_("code"), max_length=32)
    floor_area = models.DecimalField(
        _("area (m²)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    use = models.CharField(_("use"), max_length=64, blank=True)

    scope_org_field: ClassVar[str] = "property__owner_id"

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["property__code", "code"]
        constraints = [models.UniqueConstraint(fields=["property", "code"], name="property_unit_code_unique")]

    def __str__(self) -> str:
        return f"{self.property.code}-{self.code}"

    audit_scope = scope_by_fields


class Tenant(TimeStampedModel):
    """An enterprise (USCC) or an individual business (operator's ID number, masked)."""

    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("landlord"), related_name="tenants", on_delete=models.PROTECT
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=24, choices=TenantKind.choices)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True, validators=[validate_uscc])
    operator_name = models.CharField(_("operator"), max_length=64, blank=True)
    operator_id_number = MaskedCharField(
        _("operator's ID number"), max_length=18, blank=True, validators=[validate_idcard]
    )
    industry = models.CharField(_("industry"), max_length=32, blank=True, choices=[(i, i) for i in rules.INDUSTRIES])
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    revenue_wan = models.DecimalField(
        _("operating revenue (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    assets_wan = models.DecimalField(
        _("total assets (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    is_state_owned = models.BooleanField(_("state-owned"), default=False)
    is_subsidiary_of_large_group = models.BooleanField(_("subsidiary of a large or medium group"), default=False)
    refused_epidemic_control = models.BooleanField(_("refused epidemic-control cooperation"), default=False)
    contact_name = models.CharField(_("contact"), max_length=64, blank=True)
    contact_phone = MaskedCharField(_("contact phone"), max_length=32, blank=True)
    portal_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("portal users"), related_name="property_tenants", blank=True
    )

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    audit_scope = scope_by_fields

    @property
    def masked_id_number(self) -> str:
        return mask_idcard(self.operator_id_number) if self.operator_id_number else ""

    def size_class(self) -> str:
        try:
            return rules.size_class_of(self.facts())
        except (KeyError, ValueError):
            return ""

    def facts(self, *, role: str = rules.FINAL_OCCUPIER, in_arrears: bool = False) -> rules.TenantFacts:
        return rules.TenantFacts(
            type=self.kind,
            industry=self.industry or None,
            employees=self.employees,
            revenue_wan=self.revenue_wan,
            assets_wan=self.assets_wan,
            state_owned=self.is_state_owned,
            subsidiary_of_large_group=self.is_subsidiary_of_large_group,
            role=role,
            in_arrears=in_arrears,
            refused_epidemic_control=self.refused_epidemic_control,
        )


class Lease(TimeStampedModel):
    """A lease of units; ``parent`` is the head lease it sub-lets (owner → sub-lessor → occupier)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("landlord"), related_name="leases", on_delete=models.PROTECT
    )
    tenant = models.ForeignKey(Tenant, verbose_name=_("tenant"), related_name="leases", on_delete=models.PROTECT)
    units = models.ManyToManyField(Unit, verbose_name=_("units"), related_name="leases")
    parent = models.ForeignKey(
        "self",
        verbose_name=_("sub-let from lease"),
        null=True,
        blank=True,
        related_name="subleases",
        on_delete=models.PROTECT,
    )
    rent = models.DecimalField(
        _("rent per period"), validators=[MinValueValidator(ZERO)], max_digits=14, decimal_places=2
    )
    period_months = models.PositiveSmallIntegerField(_("period (months)"), choices=PeriodMonths.choices)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    deposit = models.DecimalField(
        _("deposit"), default=ZERO, validators=[MinValueValidator(ZERO)], max_digits=14, decimal_places=2
    )
    # a lease ended early (``actions.end_lease``): ``end`` is the day it ended, these keep the contract's end and why
    original_end = models.DateField(_("original end"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending early"), max_length=255, blank=True)

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="property_lease_dates_ordered"),
            models.CheckConstraint(condition=models.Q(rent__gte=0), name="property_lease_rent_not_negative"),
            models.CheckConstraint(
                condition=models.Q(period_months__in=[1, 3, 6, 12]), name="property_lease_period_1_3_6_12"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    audit_scope = scope_by_fields

    @property
    def is_ended_early(self) -> bool:
        return self.original_end is not None

    @property
    def role(self) -> str:
        return rules.SUBLESSOR if self.subleases.exists() else rules.FINAL_OCCUPIER

    def chain(self) -> list[Lease]:
        """Head lease first, this lease last."""
        chain: list[Lease] = [self]
        while chain[0].parent is not None and len(chain) < 10:
            chain.insert(0, chain[0].parent)
        return chain

    def is_state_owned_premises(self) -> bool:
        head = self.chain()[0]
        units = list(head.units.select_related("property"))
        return bool(units) and all(u.property.is_state_owned for u in units)

    def facts(self) -> rules.LeaseFacts:
        return rules.LeaseFacts(
            start=self.start,
            end=self.end,
            rent=self.rent,
            period_months=self.period_months,
            rent_free=[(p.start, p.end) for p in self.rent_free_periods.all()],
        )


class RentFreePeriod(models.Model):
    lease = models.ForeignKey(
        Lease, verbose_name=_("lease"), related_name="rent_free_periods", on_delete=models.CASCADE
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))

    scope_org_field: ClassVar[str] = "lease__organisation_id"

    class Meta:
        verbose_name = _("rent-free period")
        verbose_name_plural = _("rent-free periods")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="property_rentfree_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.start}–{self.end}"


class Invoice(TimeStampedModel):
    """The rent of one lease period; ``credited`` is relief set against it."""

    lease = models.ForeignKey(Lease, verbose_name=_("lease"), related_name="invoices", on_delete=models.PROTECT)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    credited = models.DecimalField(_("credited"), default=ZERO, max_digits=14, decimal_places=2)
    paid = models.DecimalField(_("paid"), default=ZERO, max_digits=14, decimal_places=2)
    status = models.CharField(_("status"), max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN)

    scope_org_field: ClassVar[str] = "lease__organisation_id"

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["lease__code", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["lease", "period_start"], name="property_invoice_one_per_period"),
            models.CheckConstraint(
                condition=models.Q(credited__gte=0, paid__gte=0, amount__gte=models.F("credited") + models.F("paid")),
                name="property_invoice_not_overpaid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lease.code} {self.period_start:%Y-%m-%d}"

    audit_scope = scope_by_fields

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.credited - self.paid

    def is_overdue(self, on: dt.date) -> bool:
        return self.due_date < on and self.outstanding > 0


class Payment(TimeStampedModel):
    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), related_name="payments", on_delete=models.PROTECT)
    amount = models.DecimalField(
        _("amount"), validators=[MinValueValidator(Decimal("0.01"))], max_digits=14, decimal_places=2
    )
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)

    scope_org_field: ClassVar[str] = "invoice__lease__organisation_id"

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="property_payment_positive")]

    def __str__(self) -> str:
        return f"{self.invoice} {self.amount}"

    audit_scope = scope_by_fields


class ReliefApplication(TimeStampedModel):
    """A tenant's application for relief on one lease, with the quote it was decided on."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("landlord"), related_name="relief_applications", on_delete=models.PROTECT
    )
    lease = models.ForeignKey(Lease, verbose_name=_("lease"), related_name="applications", on_delete=models.PROTECT)
    tenant = models.ForeignKey(Tenant, verbose_name=_("tenant"), related_name="applications", on_delete=models.PROTECT)
    policy = models.ForeignKey(Policy, verbose_name=_("policy"), related_name="applications", on_delete=models.PROTECT)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
        db_index=True,
    )
    settlement = models.CharField(
        pgettext_lazy("relief", "settlement"), max_length=8, choices=Settlement.choices, default=Settlement.CREDIT
    )
    proof_risk_area = models.BooleanField(_("street/town risk-listed"), default=False)
    proof_sealed_or_closed = models.BooleanField(_("premises sealed, closed or requisitioned"), default=False)
    proof_full_year_loss = models.BooleanField(_("full-year loss"), default=False)
    submitted_on = models.DateField(_("submitted on"))
    size_class = models.CharField(_("size class"), max_length=16, blank=True, choices=SIZE_CLASS_CHOICES)
    months = models.PositiveSmallIntegerField(_("months"), default=0)
    covered_days = models.PositiveSmallIntegerField(_("covered days"), default=0)
    monthly_rent = models.DecimalField(_("monthly rent"), default=ZERO, max_digits=14, decimal_places=2)
    quoted_amount = models.DecimalField(_("quoted amount"), default=ZERO, max_digits=14, decimal_places=2)
    approved_amount = models.DecimalField(_("approved amount"), default=ZERO, max_digits=14, decimal_places=2)
    topped_up_amount = models.DecimalField(_("top-up amount"), default=ZERO, max_digits=14, decimal_places=2)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    decision_note = models.CharField(_("note"), max_length=255, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    handled_by = who_field(_("handled by"))
    checked_by = who_field(_("checked by"))

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("relief application")
        verbose_name_plural = _("relief applications")
        ordering = ["-submitted_on", "-id"]
        permissions = [
            ("handle_reliefapplication", "Can review relief applications (经办)"),
            ("check_reliefapplication", "Can check relief applications (审核)"),
            ("approve_reliefapplication", "Can approve relief applications (批准)"),
            ("top_up_relief", "Can top up approved relief under a later policy"),
        ]

    def __str__(self) -> str:
        return self.number

    audit_scope = scope_by_fields

    def proof(self) -> rules.Proof:
        return rules.Proof(self.proof_risk_area, self.proof_sealed_or_closed, self.proof_full_year_loss)

    @property
    def total_relief(self) -> Decimal:
        return self.approved_amount + self.topped_up_amount


def _document_path(instance: ApplicationDocument, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"property/applications/{instance.application.number}/{instance.kind}-{dt.datetime.now():%Y%m%d%H%M%S%f}.{suffix}"  # noqa: DTZ005


class ApplicationDocument(TimeStampedModel):
    application = models.ForeignKey(
        ReliefApplication, verbose_name=_("application"), related_name="documents", on_delete=models.CASCADE
    )
    kind = models.CharField(_("kind"), max_length=24, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=_document_path)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))

    scope_org_field: ClassVar[str] = "application__organisation_id"

    class Meta:
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")
        ordering = ["kind", "-created_at"]

    def __str__(self) -> str:
        return f"{self.application.number} {self.kind}"

    audit_scope = scope_by_fields


def _tenant_document_path(instance: TenantDocument, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"property/tenants/{instance.tenant.code}/{instance.kind}-{dt.datetime.now():%Y%m%d%H%M%S%f}.{suffix}"  # noqa: DTZ005


class TenantDocument(TimeStampedModel):
    """A tenant's licence or certificate on file (several per kind: both sides, several pages)."""

    tenant = models.ForeignKey(Tenant, verbose_name=_("tenant"), related_name="documents", on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=24, choices=TenantDocumentKind.choices)
    file = models.FileField(_("file"), upload_to=_tenant_document_path)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))

    scope_org_field: ClassVar[str] = "tenant__organisation_id"

    class Meta:
        verbose_name = _("tenant document")
        verbose_name_plural = _("tenant documents")
        ordering = ["kind", "-created_at"]

    def __str__(self) -> str:
        return f"{self.tenant.code} {self.kind}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.tenant.organisation_id, None


class ReliefCredit(TimeStampedModel):
    """Relief given: a credit note set against coming invoices, or a refund of paid rent."""

    application = models.ForeignKey(
        ReliefApplication, verbose_name=_("application"), related_name="credits", on_delete=models.PROTECT
    )
    lease = models.ForeignKey(Lease, verbose_name=_("lease"), related_name="credits", on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=16, choices=CreditKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    applied = models.DecimalField(_("applied to invoices"), default=ZERO, max_digits=14, decimal_places=2)
    is_top_up = models.BooleanField(_("top-up"), default=False)

    scope_org_field: ClassVar[str] = "lease__organisation_id"

    class Meta:
        verbose_name = _("relief credit")
        verbose_name_plural = _("relief credits")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0, applied__gte=0, applied__lte=models.F("amount")),
                name="property_credit_applied_within_amount",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application.number} {self.kind} {self.amount}"

    audit_scope = scope_by_fields

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.applied


class CreditAllocation(models.Model):
    """How much of a credit note went against which invoice."""

    credit = models.ForeignKey(ReliefCredit, related_name="allocations", on_delete=models.PROTECT)
    invoice = models.ForeignKey(Invoice, related_name="credit_allocations", on_delete=models.PROTECT)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    scope_org_field: ClassVar[str] = "invoice__lease__organisation_id"

    class Meta:
        verbose_name = _("credit allocation")
        verbose_name_plural = _("credit allocations")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="property_allocation_positive")]

    def __str__(self) -> str:
        return f"{self.credit} → {self.invoice}"
