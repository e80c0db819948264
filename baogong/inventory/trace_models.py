"""Drug traceability codes (药品追溯码): one row per pack (or aggregation code) received, where it
is, and whether it was dispensed; and the signals raised to QC when a code is blocked.

Imported by :mod:`baogong.inventory.models`; the rules are in :mod:`baogong.inventory.trace`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.catalog.models import Item
from baogong.core.models import who_field
from baogong.core.scoping import scope_by_fields
from baogong.inventory.choices import TraceCodeStatus, TraceSignalKind
from baogong.orgs.models import Site


class TraceCode(models.Model):
    """One 20-digit code as received: the pack (or the case, ``is_aggregate``) of ``item``/``lot``,
    now at ``site``; ``parent`` is the aggregation code it was received under."""

    code = models.CharField(_("traceability code"), max_length=20, unique=True)
    item = models.ForeignKey(Item, verbose_name=_("item"), related_name="trace_codes", on_delete=models.PROTECT)
    lot = models.ForeignKey(
        "inventory.Lot", verbose_name=_("lot"), related_name="trace_codes", on_delete=models.PROTECT
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("aggregation code"),
        null=True,
        blank=True,
        related_name="children",
        on_delete=models.PROTECT,
    )
    is_aggregate = models.BooleanField(_("aggregation code"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=TraceCodeStatus.choices, default=TraceCodeStatus.IN_STOCK
    )
    site = models.ForeignKey(Site, verbose_name=_("site now"), related_name="+", on_delete=models.PROTECT)
    received_site = models.ForeignKey(Site, verbose_name=_("received at"), related_name="+", on_delete=models.PROTECT)
    received_reference = models.CharField(_("receipt reference"), max_length=128, blank=True)
    received_at = models.DateTimeField(pgettext_lazy("time", "received"), default=timezone.now)
    received_by = who_field(_("received by"))
    transfer_reference = models.CharField(_("last transfer"), max_length=128, blank=True)
    dispensed_reference = models.CharField(_("dispensed for"), max_length=64, blank=True)
    dispensed_document_id = models.PositiveBigIntegerField(_("dispensing document"), null=True, blank=True)
    dispensed_at = models.DateTimeField(_("dispensed"), null=True, blank=True)
    dispensed_by = who_field(_("dispensed by"))

    scope_org_field: ClassVar[str] = "site__organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("traceability code")
        verbose_name_plural = _("traceability codes")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="dispensed") | models.Q(dispensed_at__isnull=False),
                name="inventory_tracecode_dispensed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    audit_scope = scope_by_fields


class TraceSignal(models.Model):
    """A blocked traceability code raised to QC: counterfeit, 回流药 (a drug sold back into the chain)
    or a recalled lot."""

    code = models.CharField(_("traceability code"), max_length=20, db_index=True)
    kind = models.CharField(_("signal"), max_length=24, choices=TraceSignalKind.choices)
    trace_code = models.ForeignKey(
        TraceCode,
        verbose_name=_("traceability code"),
        null=True,
        blank=True,
        related_name="signals",
        on_delete=models.PROTECT,
    )
    lot = models.ForeignKey(
        "inventory.Lot", verbose_name=_("lot"), null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    site = models.ForeignKey(Site, verbose_name=_("scanned at"), related_name="+", on_delete=models.PROTECT)
    reference = models.CharField(pgettext_lazy("document", "reference"), max_length=128, blank=True)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    detected_at = models.DateTimeField(_("detected"), default=timezone.now, db_index=True)
    detected_by = who_field(_("scanned by"))

    scope_org_field: ClassVar[str] = "site__organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("traceability signal")
        verbose_name_plural = _("traceability signals")
        ordering = ["-detected_at", "-id"]

    def __str__(self) -> str:
        return f"{self.code} {self.get_kind_display()}"

    audit_scope = scope_by_fields


__all__: list[Any] = ["TraceCode", "TraceSignal"]
