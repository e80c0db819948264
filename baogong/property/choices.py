from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TenantKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    INDIVIDUAL_BUSINESS = "individual_business", _("Individual business")


class PeriodMonths(models.IntegerChoices):
    MONTHLY = 1, _("Monthly")
    QUARTERLY = 3, _("Quarterly")
    HALF_YEARLY = 6, _("Half-yearly")
    YEARLY = 12, _("Yearly")


class Settlement(models.TextChoices):
    CREDIT = "credit", _("Credit against coming invoices")
    REFUND = "refund", _("Refund of paid rent")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    HANDLED = "handled", _("Reviewed by handler")
    CHECKED = "checked", _("Checked")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for documents")
    REJECTED = "rejected", pgettext_lazy("relief", "Rejected")


OPEN_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.HANDLED, ApplicationStatus.CHECKED)


class TenantDocumentKind(models.TextChoices):
    """A tenant's licences and certificates kept on file (not those of a relief application)."""

    BUSINESS_LICENCE = "business_licence", _("Business licence")
    TRADE_PERMIT = "trade_permit", _("Trade permit (food, drugs, …)")
    FIRE_SAFETY = "fire_safety", _("Fire safety certificate")
    OTHER = "other", _("Other certificate")


class DocumentKind(models.TextChoices):
    APPLICATION = "application", _("Application letter")
    LEGAL_REP_ID = "legal_rep_id", _("Legal representative's ID")
    BUSINESS_LICENCE = "business_licence", _("Business licence")
    LEASE = "lease", _("Lease contract")
    SIZE_PROOF = "size_proof", _("Proof of enterprise size")
    RISK_AREA = "risk_area", _("Proof: risk-listed street/town")
    SEALED_OR_CLOSED = "sealed_or_closed", _("Proof: premises sealed, closed or requisitioned")
    FULL_YEAR_LOSS = "full_year_loss", _("Proof: full-year loss")


class CreditKind(models.TextChoices):
    CREDIT_NOTE = "credit_note", _("Credit note")
    REFUND = "refund", _("Refund")


class InvoiceStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("rent", "Open")
    PAID = "paid", _("Paid")
