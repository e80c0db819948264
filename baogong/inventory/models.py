"""The stock ledger: locations, lots, append-only moves, balances (a cache), reservations, documents."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.catalog.models import Item
from baogong.core.scoping import scope_by_fields
from baogong.inventory.choices import (
    AdjustmentStatus,
    LocationKind,
    MoveReason,
    QcPolicy,
    QcStatus,
    ReservationStatus,
    StocktakeStatus,
    TransferStatus,
)
from baogong.orgs.models import Site


class LedgerIsAppendOnly(Exception):
    """Raised when code tries to change or delete a stock move."""


class Location(models.Model):
    """A place stock sits in: a zone or bin of a site, or a virtual location."""

    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, related_name="stock_locations", on_delete=models.PROTECT
    )
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=LocationKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, related_name="children", on_delete=models.PROTECT
    )
    is_default = models.BooleanField(_("default location of its site"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    scope_org_field: ClassVar[str] = "site__organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["site_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="inventory_location_site_code"),
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(site__isnull=True), name="inventory_location_virtual_code"
            ),
            models.UniqueConstraint(
                fields=["site"], condition=models.Q(is_default=True), name="inventory_location_one_default"
            ),
            models.UniqueConstraint(
                fields=["site", "kind"],
                condition=models.Q(kind__in=["recipient", "quarantine", "in_transit"]),
                name="inventory_location_one_virtual_per_site",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site.code}/{self.code}" if self.site_id and self.site else self.code

    def audit_scope(self) -> tuple[int | None, int | None]:
        return (self.site.organisation_id if self.site else None), self.site_id


class Lot(models.Model):
    """A batch of one item: its dates, cost, supplier and QC status."""

    item = models.ForeignKey(Item, verbose_name=_("item"), related_name="lots", on_delete=models.PROTECT)
    batch = models.CharField(_("batch"), max_length=64)
    production_date = models.DateField(_("production date"), null=True, blank=True)
    expiry = models.DateField(_("expiry"), null=True, blank=True, db_index=True)
    supplier_name = models.CharField(_("supplier"), max_length=128, blank=True)
    supplier_ref = models.CharField(_("supplier reference"), max_length=64, blank=True)
    unit_cost = models.DecimalField(_("unit cost"), max_digits=14, decimal_places=4, default=0)
    qc_status = models.CharField(
        _("QC status"), max_length=16, choices=QcStatus.choices, default=QcStatus.RELEASED, db_index=True
    )
    qc_reason = models.CharField(_("QC note"), max_length=255, blank=True)
    is_suspected_counterfeit = models.BooleanField(_("suspected counterfeit"), default=False)
    # The expiry band (days: the long alert, the short alert, 0 = expired) last alerted for this lot.
    expiry_alerted_days = models.PositiveSmallIntegerField(_("expiry alert sent (days)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["item_id", "expiry", "batch"]
        permissions = [("set_lot_qc_status", "Can set a lot's QC status")]
        constraints = [
            models.UniqueConstraint(fields=["item", "batch"], name="inventory_lot_item_batch"),
            models.CheckConstraint(condition=models.Q(unit_cost__gte=0), name="inventory_lot_cost_nonneg"),
            models.CheckConstraint(
                condition=models.Q(expiry__isnull=True)
                | models.Q(production_date__isnull=True)
                | models.Q(expiry__gte=models.F("production_date")),
                name="inventory_lot_expiry_after_production",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} #{self.batch}"

    def is_usable(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.qc_status == QcStatus.RELEASED and (self.expiry is None or self.expiry >= today)


class StockMove(models.Model):
    """One line of the ledger. Append-only: corrections are reversing moves."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # item and lot: no index of their own, the composite indexes below lead with them (docs/inventory.md)
    item = models.ForeignKey(
        Item, verbose_name=_("item"), related_name="moves", on_delete=models.PROTECT, db_index=False
    )
    lot = models.ForeignKey(Lot, verbose_name=_("lot"), related_name="moves", on_delete=models.PROTECT, db_index=False)
    from_location = models.ForeignKey(
        Location, verbose_name=pgettext_lazy("location", "from"), related_name="moves_out", on_delete=models.PROTECT
    )
    to_location = models.ForeignKey(
        Location, verbose_name=pgettext_lazy("location", "to"), related_name="moves_in", on_delete=models.PROTECT
    )
    qty = models.PositiveIntegerField(_("quantity"))
    unit_cost = models.DecimalField(_("unit cost"), max_digits=14, decimal_places=4, default=0)
    reason = models.CharField(_("reason"), max_length=16, choices=MoveReason.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    document_type = models.CharField(_("document type"), max_length=32, blank=True)
    document_id = models.BigIntegerField(_("document id"), null=True, blank=True)
    reference = models.CharField(pgettext_lazy("document", "reference"), max_length=128, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    reverses = models.OneToOneField(
        "self", verbose_name=_("reverses"), null=True, blank=True, related_name="reversed_by", on_delete=models.PROTECT
    )

    scope_org_field: ClassVar[str] = "from_location__site__organisation_id"
    scope_site_field: ClassVar[str] = "from_location__site_id"

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(qty__gt=0), name="inventory_move_qty_positive"),
            models.CheckConstraint(
                condition=~models.Q(from_location=models.F("to_location")), name="inventory_move_distinct_locations"
            ),
        ]
        indexes = [
            models.Index(fields=["item", "at"], name="inventory_move_item_at"),
            models.Index(fields=["lot", "to_location"], name="inventory_move_lot_to"),
            models.Index(fields=["document_type", "document_id"], name="inventory_move_document"),
            # exact-match indexes only: no query looks these up by prefix (db_index=True would add a
            # varchar_pattern_ops twin on PostgreSQL)
            models.Index(fields=["reason"], name="inventory_move_reason"),
            models.Index(fields=["reference"], name="inventory_move_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} {self.qty} {self.from_location_id}→{self.to_location_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise LedgerIsAppendOnly("Stock moves are append-only; post a reversing move instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise LedgerIsAppendOnly("Stock moves are append-only; post a reversing move instead.")


class StockBalance(models.Model):
    """On hand and reserved per (lot, location): a cache of the ledger, changed only with its moves."""

    # item and lot: covered by (item, location) and the unique (lot, location)
    item = models.ForeignKey(
        Item, verbose_name=_("item"), related_name="balances", on_delete=models.PROTECT, db_index=False
    )
    lot = models.ForeignKey(
        Lot, verbose_name=_("lot"), related_name="balances", on_delete=models.PROTECT, db_index=False
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), related_name="balances", on_delete=models.PROTECT
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)

    scope_org_field: ClassVar[str] = "location__site__organisation_id"
    scope_site_field: ClassVar[str] = "location__site_id"

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        ordering = ["location_id", "item_id", "lot_id"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "location"], name="inventory_balance_lot_location"),
            models.CheckConstraint(condition=models.Q(on_hand__gte=0), name="inventory_balance_on_hand_nonneg"),
            models.CheckConstraint(
                condition=models.Q(reserved__gte=0, reserved__lte=models.F("on_hand")),
                name="inventory_balance_reserved_within_on_hand",
            ),
        ]
        indexes = [models.Index(fields=["item", "location"], name="inventory_balance_item_loc")]

    def __str__(self) -> str:
        return f"{self.lot} @ {self.location}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class Reservation(models.Model):
    """Units of one balance promised to a document; consumed by a move or released."""

    balance = models.ForeignKey(
        StockBalance, verbose_name=_("balance"), related_name="reservations", on_delete=models.PROTECT
    )
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT)
    lot = models.ForeignKey(Lot, verbose_name=_("lot"), related_name="reservations", on_delete=models.PROTECT)
    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.PROTECT)
    qty = models.PositiveIntegerField(_("open quantity"))
    original_qty = models.PositiveIntegerField(_("reserved quantity"))
    reference = models.CharField(pgettext_lazy("document", "reference"), max_length=128, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ReservationStatus.choices, default=ReservationStatus.ACTIVE, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    scope_org_field: ClassVar[str] = "location__site__organisation_id"
    scope_site_field: ClassVar[str] = "location__site_id"

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(qty__lte=models.F("original_qty")), name="inventory_reservation_qty_within"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="active") | models.Q(qty__gt=0), name="inventory_reservation_active_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.lot} × {self.qty}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.location.audit_scope()


class _WarehouseDocument(models.Model):
    warehouse = models.ForeignKey(Site, verbose_name=_("warehouse"), related_name="+", on_delete=models.PROTECT)
    reference = models.CharField(pgettext_lazy("document", "reference"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_org_field: ClassVar[str] = "warehouse__organisation_id"
    scope_site_field: ClassVar[str] = "warehouse_id"
    prefix: ClassVar[str] = "DOC"

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{self.prefix}-{timezone.localdate(self.created_at):%Y%m%d}-{self.pk:06d}" if self.pk else self.prefix

    audit_scope = scope_by_fields


class Receipt(_WarehouseDocument):
    supplier_ref = models.CharField(_("supplier"), max_length=128, blank=True)
    qc_status = models.CharField(_("QC status of new lots"), max_length=16, choices=QcStatus.choices)
    prefix: ClassVar[str] = "RC"

    class Meta(_WarehouseDocument.Meta):
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        permissions = [("receive_stock", "Can receive stock")]


class _PostedLine(models.Model):
    """A line of a receipt or an issue: so many units of one lot at one location, at a unit cost."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT)
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT)
    location = models.ForeignKey(Location, on_delete=models.PROTECT)
    qty = models.PositiveIntegerField(_("quantity"))
    unit_cost = models.DecimalField(_("unit cost"), max_digits=14, decimal_places=4)

    class Meta:
        abstract = True
        ordering = ["id"]


class ReceiptLine(_PostedLine):
    receipt = models.ForeignKey(Receipt, related_name="lines", on_delete=models.PROTECT)

    class Meta(_PostedLine.Meta):
        pass


class Issue(_WarehouseDocument):
    recipient = models.ForeignKey(Site, verbose_name=_("recipient"), related_name="+", on_delete=models.PROTECT)
    prefix: ClassVar[str] = "IS"

    class Meta(_WarehouseDocument.Meta):
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        permissions = [("issue_stock", "Can issue stock")]


class IssueLine(_PostedLine):
    issue = models.ForeignKey(Issue, related_name="lines", on_delete=models.PROTECT)

    class Meta(_PostedLine.Meta):
        pass


class Transfer(_WarehouseDocument):
    """Stock moved between locations of one site, or to another site through in-transit."""

    destination = models.ForeignKey(Site, verbose_name=_("destination"), related_name="+", on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=16, choices=TransferStatus.choices)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    prefix: ClassVar[str] = "TR"

    class Meta(_WarehouseDocument.Meta):
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        permissions = [("transfer_stock", "Can transfer stock")]


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, related_name="lines", on_delete=models.PROTECT)
    item = models.ForeignKey(Item, on_delete=models.PROTECT)
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT)
    from_location = models.ForeignKey(Location, related_name="+", on_delete=models.PROTECT)
    to_location = models.ForeignKey(Location, related_name="+", on_delete=models.PROTECT)
    qty = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["id"]


class Adjustment(_WarehouseDocument):
    """A correction of one balance with a reason; above the approval threshold it waits for approval."""

    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT)
    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.PROTECT)
    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.PROTECT)
    qty_change = models.IntegerField(_("quantity change"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=AdjustmentStatus.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    prefix: ClassVar[str] = "AJ"

    class Meta(_WarehouseDocument.Meta):
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        permissions = [("adjust_stock", "Can adjust stock"), ("approve_adjustment", "Can approve adjustments")]
        constraints = [models.CheckConstraint(condition=~models.Q(qty_change=0), name="inventory_adjustment_nonzero")]


class Stocktake(_WarehouseDocument):
    """A count of some or all locations of a warehouse; variances posted on approval."""

    status = models.CharField(_("status"), max_length=16, choices=StocktakeStatus.choices)
    is_blind = models.BooleanField(_("blind count"), default=False)
    note = models.CharField(_("note"), max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    prefix: ClassVar[str] = "ST"

    class Meta(_WarehouseDocument.Meta):
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        permissions = [("count_stock", "Can count stock"), ("approve_stocktake", "Can approve stocktakes")]


class StocktakeLine(models.Model):
    stocktake = models.ForeignKey(Stocktake, related_name="lines", on_delete=models.CASCADE)
    location = models.ForeignKey(Location, on_delete=models.PROTECT)
    item = models.ForeignKey(Item, on_delete=models.PROTECT)
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT)
    expected_qty = models.IntegerField(_("expected"))
    counted_qty = models.IntegerField(_("counted"), null=True, blank=True)

    class Meta:
        ordering = ["location__code", "item__code", "lot__batch"]
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "lot", "location"], name="inventory_stocktake_line_unique"),
            models.CheckConstraint(
                condition=models.Q(counted_qty__isnull=True) | models.Q(counted_qty__gte=0),
                name="inventory_stocktake_counted_nonneg",
            ),
        ]

    @property
    def variance(self) -> int | None:
        return None if self.counted_qty is None else self.counted_qty - self.expected_qty


class QcRule(models.Model):
    """Whether goods of a category (and its sub-categories without a rule of their own) are held for QC.

    Without a rule in a category's tree, goods of categories with a regulatory number (drugs,
    medical devices, antigen kits) are always inspected and other goods are not.
    """

    category = models.OneToOneField(
        "catalog.Category", verbose_name=_("category"), related_name="qc_rule", on_delete=models.CASCADE
    )
    policy = models.CharField(_("incoming inspection"), max_length=24, choices=QcPolicy.choices)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("QC rule")
        verbose_name_plural = _("QC rules")
        ordering = ["category__code"]

    def __str__(self) -> str:
        return f"{self.category} {self.policy}"


# Drug traceability codes live in their own module (this one is long enough); imported here so
# Django registers them with the app.
from baogong.inventory.trace_models import TraceCode as TraceCode  # noqa: E402
from baogong.inventory.trace_models import TraceSignal as TraceSignal  # noqa: E402
