from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LocationKind(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    ZONE = "zone", _("Zone")
    BIN = "bin", _("Bin")
    SUPPLIER = "supplier", _("Supplier (virtual)")
    RECIPIENT = "recipient", _("Recipient (virtual)")
    LOSS = "loss", _("Loss (virtual)")
    ADJUSTMENT = "adjustment", _("Adjustment (virtual)")
    QUARANTINE = "quarantine", _("Quarantine")
    IN_TRANSIT = "in_transit", _("In transit")


# Physical kinds hold stock that can be reserved and issued.
STOCK_KINDS = frozenset({LocationKind.INTERNAL, LocationKind.ZONE, LocationKind.BIN})
# Source kinds are unbounded: they keep no balance (their balance would be negative).
SOURCE_KINDS = frozenset({LocationKind.SUPPLIER, LocationKind.ADJUSTMENT})


class QcStatus(models.TextChoices):
    PENDING = "pending", _("Pending QC")
    RELEASED = "released", _("Released")
    QUARANTINED = "quarantined", _("Quarantined")
    REJECTED = "rejected", pgettext_lazy("lot status", "Rejected")


class MoveReason(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    ISSUE = "issue", _("Issue")
    TRANSFER = "transfer", _("Transfer")
    ADJUSTMENT = "adjustment", _("Adjustment")
    STOCKTAKE = "stocktake", _("Stocktake")
    QUARANTINE = "quarantine", _("Quarantine")
    SHIPMENT = "shipment", _("Shipment")
    DELIVERY = "delivery", pgettext_lazy("stock move", "Delivery")
    RETURN = "return", _("Return")
    LOSS = "loss", _("Loss")
    DISPENSE = "dispense", _("Dispensing")
    REVERSAL = "reversal", _("Reversal")


class ReservationStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CONSUMED = "consumed", _("Consumed")
    RELEASED = "released", _("Released")


class AdjustmentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    POSTED = "posted", _("Posted")
    REJECTED = "rejected", _("Rejected")


class TransferStatus(models.TextChoices):
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", pgettext_lazy("transfer", "Received")
    DONE = "done", _("Done")


class StocktakeStatus(models.TextChoices):
    COUNTING = "counting", _("Counting")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    CANCELLED = "cancelled", _("Cancelled")


class QcPolicy(models.TextChoices):
    """When goods of a category are held for incoming inspection at receipt."""

    ALWAYS = "always", _("Every receipt is inspected")
    UNQUALIFIED_SUPPLIER = (
        "unqualified_supplier",
        _("Inspected when received without an order from an unqualified supplier"),
    )
    NEVER = "never", _("No incoming inspection")


class TraceCodeStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    IN_TRANSIT = "in_transit", _("In transit")
    DISPENSED = "dispensed", _("Dispensed")


class TraceSignalKind(models.TextChoices):
    """Why a drug traceability code was blocked and raised to QC."""

    DISPENSED_TWICE = "dispensed_twice", _("Dispensed twice (counterfeit or returned drug)")
    RECALLED_LOT = "recalled_lot", _("Dispensed from a recalled or quarantined lot")
    NEVER_RECEIVED = "never_received", _("Never received anywhere in the group")
    RETURNED_AFTER_DISPENSING = "returned", _("Received again after it was dispensed (回流药)")
