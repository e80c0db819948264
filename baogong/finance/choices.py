from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MissionKind(models.TextChoices):
    FIELD_HOSPITAL = "field_hospital", _("Field hospital support")
    EPIDEMIC_SUPPLY = "epidemic_supply", _("Epidemic-supply programme")
    CUSTOMER_SUPPLY = "customer_supply", _("Supply line to a customer")
    OTHER = "other", _("Other")


class CostCategory(models.TextChoices):
    GOODS = "goods", _("Goods at cost")
    TRANSPORT = "transport", _("Transport")
    LABOUR = "labour", _("Labour")
    LODGING = "lodging", _("Lodging and meals")
    OTHER = "other", _("Other")


class CostStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    PAID = "paid", pgettext_lazy("claim", "Paid")
    REJECTED = "rejected", _("Rejected")
