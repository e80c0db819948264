from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RequestStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PARTLY_ALLOCATED = "partly_allocated", _("Partly allocated")
    ALLOCATED = "allocated", _("Allocated")
    DISPATCHED = "dispatched", _("Dispatched")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# Requests whose approved lines take part in allocation runs.
ALLOCATABLE_STATUSES = (RequestStatus.APPROVED, RequestStatus.PARTLY_ALLOCATED)
# Requests that still count for duplicate detection.
LIVE_STATUSES = (
    RequestStatus.DRAFT,
    RequestStatus.SUBMITTED,
    RequestStatus.APPROVED,
    RequestStatus.PARTLY_ALLOCATED,
    RequestStatus.ALLOCATED,
    RequestStatus.DISPATCHED,
)
CANCELLABLE_STATUSES = (
    RequestStatus.DRAFT,
    RequestStatus.SUBMITTED,
    RequestStatus.APPROVED,
    RequestStatus.PARTLY_ALLOCATED,
    RequestStatus.ALLOCATED,
)


class RequestChannel(models.TextChoices):
    RECIPIENT = "recipient", _("Recipient")
    STAFF = "staff", _("Staff on behalf")
    EXCEL = "excel", _("Excel import")
    LINK = "link", _("Request link")
    API = "api", _("API")


class AllocationRunStatus(models.TextChoices):
    PREVIEW = "preview", _("Preview")
    CONFIRMED = "confirmed", _("Confirmed")
    DISCARDED = "discarded", _("Discarded")


class ShipmentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    PICKED = "picked", _("Picked")
    LOADED = "loaded", _("Loaded")
    IN_TRANSIT = "in_transit", _("In transit")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")


class DiscrepancyKind(models.TextChoices):
    SHORTAGE = "shortage", pgettext_lazy("delivery discrepancy", "Shortage")
    DAMAGE = "damage", _("Damage")


class Disposition(models.TextChoices):
    RETURN = "return", _("Back to the warehouse")
    LOSS = "loss", _("Written off as loss")
