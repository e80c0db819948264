"""Requests for supplies, entitlement norms, no-login request links and allocation runs."""

from __future__ import annotations

import hashlib
import secrets
from typing import ClassVar

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.core.models import TimeStampedModel, who_field
from baogong.core.scoping import scope_by_fields
from baogong.distribution.choices import (
    AllocationRunStatus,
    DiscrepancyKind,
    Disposition,
    RequestChannel,
    RequestStatus,
    ShipmentStatus,
)


class Norm(TimeStampedModel):
    """Per-person entitlement of one item (issue units per person), capping a line's claim."""

    item = models.OneToOneField("catalog.Item", verbose_name=_("item"), related_name="norm", on_delete=models.PROTECT)
    qty_per_person = models.DecimalField(
        _("units per person"), max_digits=10, decimal_places=4, validators=[MinValueValidator(0)]
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("entitlement norm")
        verbose_name_plural = _("entitlement norms")
        ordering = ["item__code"]
        constraints = [models.CheckConstraint(condition=models.Q(qty_per_person__gte=0), name="distribution_norm_ge_0")]

    def __str__(self) -> str:
        return f"{self.item}: {self.qty_per_person}"

    audit_scope = scope_by_fields


def new_link_token() -> str:
    return secrets.token_urlsafe(24)


class RequestLink(TimeStampedModel):
    """A per-recipient link that lets someone without an account file requests."""

    recipient = models.ForeignKey(
        "orgs.Site", verbose_name=_("recipient"), related_name="request_links", on_delete=models.PROTECT
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_link_token, editable=False)
    label = models.CharField(_("label"), max_length=128, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = who_field(_("created by"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    scope_org_field: ClassVar[str] = "recipient__organisation_id"
    scope_site_field: ClassVar[str] = "recipient_id"

    class Meta:
        verbose_name = _("request link")
        verbose_name_plural = _("request links")
        ordering = ["-created_at", "-id"]
        permissions = [("manage_request_links", "Can create and revoke request links")]

    def __str__(self) -> str:
        return f"{self.recipient} ({self.token[:6]}…)"

    audit_scope = scope_by_fields


class Request(TimeStampedModel):
    """A recipient's request for supplies: lines of item, quantity and needed-by date."""

    number = models.CharField(_("number"), max_length=32, unique=True, null=True, blank=True)
    recipient = models.ForeignKey(
        "orgs.Site", verbose_name=_("recipient"), related_name="supply_requests", on_delete=models.PROTECT
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.DRAFT, db_index=True
    )
    channel = models.CharField(_("channel"), max_length=16, choices=RequestChannel.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = who_field(_("filed by"))
    link = models.ForeignKey(
        RequestLink,
        verbose_name=_("request link"),
        null=True,
        blank=True,
        related_name="requests",
        on_delete=models.PROTECT,
    )
    submitter_name = models.CharField(_("submitter name"), max_length=64, blank=True)
    submitter_phone = models.CharField(_("submitter phone"), max_length=32, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = who_field(_("decided by"))
    rejection_reason = models.CharField(_("rejection reason"), max_length=500, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=500, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)

    scope_org_field: ClassVar[str] = "recipient__organisation_id"
    scope_site_field: ClassVar[str] = "recipient_id"

    class Meta:
        verbose_name = _("supply request")
        verbose_name_plural = _("supply requests")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("submit_request", "Can submit requests"),
            ("approve_request", "Can approve, reject and cut requests"),
            ("cancel_request", "Can cancel requests"),
            ("import_requests", "Can import requests from Excel"),
            ("file_for_others", "Can file requests on behalf of any recipient"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    audit_scope = scope_by_fields


class RequestLine(models.Model):
    """One item of a request. Quantities are whole issue units."""

    request = models.ForeignKey(Request, verbose_name=_("request"), related_name="lines", on_delete=models.CASCADE)
    item = models.ForeignKey("catalog.Item", verbose_name=_("item"), related_name="+", on_delete=models.PROTECT)
    qty = models.PositiveIntegerField(_("requested quantity"), validators=[MinValueValidator(1)])
    needed_by = models.DateField(_("needed by"))
    approved_qty = models.PositiveIntegerField(_("approved quantity"), null=True, blank=True)
    cut_reason = models.CharField(_("reason for the cut"), max_length=500, blank=True)
    allocated_qty = models.PositiveIntegerField(_("allocated quantity"), default=0)
    shipped_qty = models.PositiveIntegerField(_("shipped quantity"), default=0)
    delivered_qty = models.PositiveIntegerField(_("delivered quantity"), default=0)

    scope_org_field: ClassVar[str] = "request__recipient__organisation_id"
    scope_site_field: ClassVar[str] = "request__recipient_id"

    class Meta:
        verbose_name = _("request line")
        verbose_name_plural = _("request lines")
        ordering = ["request_id", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(qty__gte=1), name="distribution_line_qty_ge_1"),
            models.CheckConstraint(
                condition=models.Q(approved_qty__isnull=True) | models.Q(approved_qty__lte=models.F("qty")),
                name="distribution_line_approved_le_requested",
            ),
            models.CheckConstraint(
                condition=models.Q(allocated_qty=0)
                | models.Q(approved_qty__isnull=False, allocated_qty__lte=models.F("approved_qty")),
                name="distribution_line_allocated_le_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request} / {self.item_id} × {self.qty}"

    @property
    def outstanding(self) -> int:
        """Approved units not yet allocated (what carries over to the next run)."""
        return max(0, (self.approved_qty or 0) - self.allocated_qty)


class AllocationRun(TimeStampedModel):
    """One run of the allocation engine: a preview, then confirmed (stock reserved) or discarded."""

    status = models.CharField(
        _("status"), max_length=16, choices=AllocationRunStatus.choices, default=AllocationRunStatus.PREVIEW
    )
    warehouses = models.ManyToManyField("orgs.Site", verbose_name=_("warehouses"), related_name="+")
    created_by = who_field(_("run by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    stock_snapshot = models.JSONField(_("stock used"), default=dict, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("allocation run")
        verbose_name_plural = _("allocation runs")
        ordering = ["-created_at", "-id"]
        permissions = [("run_allocation", "Can run and confirm allocations")]

    def __str__(self) -> str:
        return f"AR-{self.pk}"

    audit_scope = scope_by_fields


class AllocationLine(models.Model):
    """What one request line gets in a run, and why."""

    run = models.ForeignKey(AllocationRun, verbose_name=_("run"), related_name="lines", on_delete=models.CASCADE)
    request_line = models.ForeignKey(
        RequestLine, verbose_name=_("request line"), related_name="allocations", on_delete=models.PROTECT
    )
    tier = models.PositiveSmallIntegerField(_("tier"))
    outstanding = models.PositiveIntegerField(_("outstanding"))
    entitlement = models.PositiveIntegerField(_("entitlement"), null=True, blank=True)
    claim = models.PositiveIntegerField(pgettext_lazy("allocation", "claim"))
    qty = models.PositiveIntegerField(_("allocated"))
    basis = models.CharField(_("basis"), max_length=16)
    available = models.PositiveIntegerField(_("units left for the tier"))
    tier_total = models.PositiveIntegerField(_("tier total claim"))
    share = models.PositiveIntegerField(_("share"))
    remainder = models.PositiveBigIntegerField(_("remainder"))
    rank = models.PositiveIntegerField(_("remainder rank"), null=True, blank=True)
    extra_unit = models.BooleanField(_("got a leftover unit"), default=False)
    sources = models.JSONField(_("sources"), default=list)  # [{"warehouse": site_id, "qty": n, "km": d}]

    class Meta:
        verbose_name = _("allocation line")
        verbose_name_plural = _("allocation lines")
        ordering = ["run_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "request_line"], name="distribution_allocline_once_per_run"),
            models.CheckConstraint(condition=models.Q(qty__lte=models.F("claim")), name="distribution_alloc_le_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.run} / {self.request_line_id}: {self.qty}"


class AllocationReservation(models.Model):
    """The inventory reservations made when a run was confirmed, per allocation line."""

    line = models.ForeignKey(
        AllocationLine, verbose_name=_("allocation line"), related_name="reservations", on_delete=models.CASCADE
    )
    warehouse = models.ForeignKey("orgs.Site", verbose_name=_("warehouse"), related_name="+", on_delete=models.PROTECT)
    reservation = models.ForeignKey(
        "inventory.Reservation", verbose_name=_("reservation"), related_name="+", on_delete=models.PROTECT
    )
    qty = models.PositiveIntegerField(_("quantity"))
    shipped_qty = models.PositiveIntegerField(_("shipped quantity"), default=0)

    class Meta:
        verbose_name = _("allocation reservation")
        verbose_name_plural = _("allocation reservations")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.line} @ {self.warehouse_id}: {self.qty}"


def new_pod_token() -> str:
    return secrets.token_urlsafe(18)


class Shipment(TimeStampedModel):
    """Goods of confirmed allocations going from one warehouse to one recipient."""

    number = models.CharField(_("number"), max_length=32, unique=True, null=True, blank=True)
    warehouse = models.ForeignKey("orgs.Site", verbose_name=_("warehouse"), related_name="+", on_delete=models.PROTECT)
    recipient = models.ForeignKey(
        "orgs.Site", verbose_name=_("recipient"), related_name="incoming_shipments", on_delete=models.PROTECT
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ShipmentStatus.choices, default=ShipmentStatus.PLANNED, db_index=True
    )
    # Ids of fleet.Vehicle / fleet.Driver (a registered driver is a person record; distribution sits
    # below fleet and people, so no foreign key: docs/decisions/0005-registered-transport.md). The
    # plate, name and phone are copies for delivery notes, written with the ids.
    vehicle_id = models.BigIntegerField(_("vehicle"), null=True, blank=True, db_index=True)
    vehicle_plate = models.CharField(_("vehicle plate"), max_length=16, blank=True)
    driver_id = models.BigIntegerField(_("driver"), null=True, blank=True, db_index=True)
    driver_name = models.CharField(_("driver"), max_length=64, blank=True)
    driver_phone = models.CharField(_("driver phone"), max_length=32, blank=True)
    transport_legacy = models.BooleanField(
        _("unregistered vehicle or driver (legacy)"),
        default=False,
        help_text=_("Typed by hand before vehicles and drivers had to be registered, and not matched to a record."),
    )
    created_by = who_field(_("planned by"))
    picked_at = models.DateTimeField(_("picked at"), null=True, blank=True)
    loaded_at = models.DateTimeField(_("loaded at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    pod_token = models.CharField(_("delivery link token"), max_length=40, unique=True, default=new_pod_token)
    received_by = models.CharField(_("received by"), max_length=64, blank=True)
    receiver_phone = models.CharField(_("receiver phone"), max_length=32, blank=True)
    receiver_photo = models.FileField(_("photo"), upload_to="pod/%Y/%m/", blank=True)
    delivery_client_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    delivery_note = models.CharField(_("note"), max_length=500, blank=True)

    scope_org_field: ClassVar[str] = "warehouse__organisation_id"
    scope_site_field: ClassVar[str] = "warehouse_id"

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("plan_shipment", "Can plan, merge and split shipments"),
            ("pick_shipment", "Can confirm picking"),
            ("load_shipment", "Can load shipments"),
            ("dispatch_shipment", "Can dispatch shipments"),
            ("close_shipment", "Can close shipments"),
            ("view_delivery_value", "Can see delivered value reports"),
        ]

    def __str__(self) -> str:
        return self.number or f"SH#{self.pk}"

    audit_scope = scope_by_fields

    def delivery_version(self) -> str:
        """What a phone's proof of delivery is based on: the status, the two ends and every line
        (its lot and quantity). A re-plan, a split or another confirmation changes it; an offline
        confirmation based on an older version is kept for review instead of being applied."""
        lines = sorted((li.pk, li.item_id, li.lot_id, li.qty) for li in self.lines.all())
        text = f"{self.status}|{self.warehouse_id}|{self.recipient_id}|{lines}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class DispatchHold(models.Model):
    """A load or dispatch that was refused (site under control, pass, driver clearance…): the
    shipment stayed put. Kept so the day's situation report can say how many were held and why."""

    class Stage(models.TextChoices):
        LOAD = "load", _("Loading")
        DISPATCH = "dispatch", _("Dispatch")

    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), related_name="holds", on_delete=models.CASCADE)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    reasons = models.JSONField(_("reasons"), default=list)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = who_field(_("by"))
    actor_label = models.CharField(_("by"), max_length=150, blank=True)

    scope_org_field: ClassVar[str] = "shipment__warehouse__organisation_id"
    scope_site_field: ClassVar[str] = "shipment__warehouse_id"

    class Meta:
        verbose_name = _("held dispatch")
        verbose_name_plural = _("held dispatches")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.shipment} ({self.get_stage_display()})"

    audit_scope = scope_by_fields


def delivery_photo_path(instance: DeliveryPhoto, filename: str) -> str:
    return f"pod/{timezone.localdate():%Y/%m}/{filename}"


class DeliveryPhoto(models.Model):
    """One photo of a proof of delivery (the receiver may take several: the goods, the signed
    note, a damaged case). The first is also the shipment's ``receiver_photo``."""

    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), related_name="photos", on_delete=models.CASCADE)
    file = models.FileField(_("photo"), upload_to=delivery_photo_path)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    scope_org_field: ClassVar[str] = "shipment__warehouse__organisation_id"
    scope_site_field: ClassVar[str] = "shipment__warehouse_id"

    class Meta:
        verbose_name = _("delivery photo")
        verbose_name_plural = _("delivery photos")
        ordering = ["shipment_id", "id"]

    def __str__(self) -> str:
        return self.original_name or self.file.name

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.shipment.warehouse.organisation_id, self.shipment.warehouse_id


class ShipmentLine(models.Model):
    """One lot of one item from one location, reserved by a confirmed allocation."""

    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), related_name="lines", on_delete=models.CASCADE)
    allocation = models.ForeignKey(
        AllocationReservation, verbose_name=_("allocation"), related_name="shipment_lines", on_delete=models.PROTECT
    )
    request_line = models.ForeignKey(
        RequestLine, verbose_name=_("request line"), related_name="shipment_lines", on_delete=models.PROTECT
    )
    item = models.ForeignKey("catalog.Item", verbose_name=_("item"), related_name="+", on_delete=models.PROTECT)
    lot = models.ForeignKey("inventory.Lot", verbose_name=_("lot"), related_name="+", on_delete=models.PROTECT)
    from_location = models.ForeignKey(
        "inventory.Location", verbose_name=_("location"), related_name="+", on_delete=models.PROTECT
    )
    reservation = models.ForeignKey(
        "inventory.Reservation", verbose_name=_("reservation"), related_name="+", on_delete=models.PROTECT
    )
    qty = models.PositiveIntegerField(_("quantity"))
    unit_cost = models.DecimalField(_("unit value"), max_digits=14, decimal_places=4)
    received_qty = models.PositiveIntegerField(_("accepted"), null=True, blank=True)
    damaged_qty = models.PositiveIntegerField(_("damaged"), default=0)

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        ordering = ["shipment_id", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(qty__gte=1), name="distribution_shipline_qty_ge_1"),
            models.CheckConstraint(
                condition=models.Q(received_qty__isnull=True) | models.Q(received_qty__lte=models.F("qty")),
                name="distribution_shipline_received_le_qty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shipment} / {self.lot_id} × {self.qty}"


class Discrepancy(models.Model):
    """Units of a shipment line not accepted at delivery, and where they went."""

    line = models.ForeignKey(
        ShipmentLine, verbose_name=_("line"), related_name="discrepancies", on_delete=models.CASCADE
    )
    kind = models.CharField(_("kind"), max_length=16, choices=DiscrepancyKind.choices)
    qty = models.PositiveIntegerField(_("quantity"))
    disposition = models.CharField(_("disposition"), max_length=16, choices=Disposition.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("discrepancy")
        verbose_name_plural = _("discrepancies")
        ordering = ["line_id", "id"]

    def __str__(self) -> str:
        return f"{self.line}: {self.kind} {self.qty}"
