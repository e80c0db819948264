"""The item master: a category tree, items with units, pack contents, standards and prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from baogong.catalog.choices import RegulatoryKind, Storage
from baogong.core import scancodes
from baogong.core.identifiers import check_device_registration, check_drug_approval
from baogong.core.models import TimeStampedModel


class Category(models.Model):
    """A node of the category tree (防疫物资 / 医疗器械 / 药品 / 生活物资 …)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=128, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, related_name="children", on_delete=models.PROTECT
    )
    regulatory_kind = models.CharField(
        _("regulatory number"), max_length=8, choices=RegulatoryKind.choices, blank=True, default=""
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def effective_regulatory_kind(self) -> str:
        node: Category | None = self
        while node is not None:
            if node.regulatory_kind:
                return node.regulatory_kind
            node = node.parent
        return ""


class Item(TimeStampedModel):
    """A stock-keeping item counted in whole issue units (a case, a box, a bag)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    name_en = models.CharField(_("English name"), max_length=128, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, related_name="items", on_delete=models.PROTECT
    )
    unit = models.CharField(_("issue unit"), max_length=16)
    pack_qty = models.PositiveIntegerField(_("contents per unit"), default=1, validators=[MinValueValidator(1)])
    pack_unit = models.CharField(_("inner unit"), max_length=16, blank=True)
    pack_size = models.CharField(_("inner size"), max_length=32, blank=True, help_text=_("e.g. 550 ml"))
    weight_kg = models.DecimalField(
        _("weight per unit (kg)"),
        max_digits=10,
        decimal_places=3,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    volume_m3 = models.DecimalField(
        _("volume per unit (m³)"),
        max_digits=10,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    specification = models.CharField(_("specification"), max_length=255, blank=True)
    standard = models.CharField(_("standard"), max_length=64, blank=True, help_text=_("e.g. GB 19083-2010"))
    regulatory_number = models.CharField(_("regulatory number"), max_length=64, blank=True)
    reference_price = models.DecimalField(
        _("reference price"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    shelf_life_days = models.PositiveIntegerField(_("shelf life (days)"), null=True, blank=True)
    storage = models.CharField(_("storage"), max_length=16, choices=Storage.choices, default=Storage.NORMAL)
    is_active = models.BooleanField(_("active"), default=True)
    gtin = models.CharField(
        _("barcode (GTIN)"),
        max_length=14,
        blank=True,
        help_text=_("EAN-13 or GTIN-14 on the pack; kept as 14 digits"),
    )
    trace_prefix = models.CharField(
        _("traceability code prefix"),
        max_length=7,
        blank=True,
        help_text=_("the first 7 digits of the drug's 20-digit traceability code (药品追溯码)"),
    )

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["code"]
        permissions = [("import_items", "Can import items")]
        constraints = [
            models.CheckConstraint(condition=models.Q(pack_qty__gte=1), name="catalog_item_pack_qty_positive"),
            models.UniqueConstraint(fields=["gtin"], condition=~models.Q(gtin=""), name="catalog_item_gtin_unique"),
            models.UniqueConstraint(
                fields=["trace_prefix"], condition=~models.Q(trace_prefix=""), name="catalog_item_trace_prefix_unique"
            ),
            models.CheckConstraint(condition=models.Q(weight_kg__gte=0), name="catalog_item_weight_nonneg"),
            models.CheckConstraint(condition=models.Q(volume_m3__gte=0), name="catalog_item_volume_nonneg"),
            models.CheckConstraint(
                condition=models.Q(reference_price__isnull=True) | models.Q(reference_price__gte=0),
                name="catalog_item_price_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def pack_description(self) -> str:
        """``箱 = 24 × 瓶 550 ml``."""
        if self.pack_qty <= 1 and not self.pack_unit:
            return self.unit
        inner = " ".join(p for p in (self.pack_unit, self.pack_size) if p)
        return f"{self.unit} = {self.pack_qty} × {inner}".strip()

    def clean(self) -> None:
        super().clean()
        kind = self.category.effective_regulatory_kind() if self.category_id and self.category else ""
        number = self.regulatory_number.strip()
        errors: dict[str, Any] = self._scan_code_errors()
        if kind == RegulatoryKind.DRUG:
            if not number:
                errors["regulatory_number"] = _("A drug needs its approval number (国药准字).")
            else:
                result = check_drug_approval(number)
                if not result.ok:
                    errors["regulatory_number"] = result.reason
        elif kind == RegulatoryKind.DEVICE:
            if not number:
                errors["regulatory_number"] = _("A medical device needs its registration or filing number.")
            else:
                result = check_device_registration(number)
                if not result.ok:
                    errors["regulatory_number"] = result.reason
        if errors:
            raise ValidationError(errors)

    def _scan_code_errors(self) -> dict[str, Any]:
        """The barcode must pass its GS1 check digit (kept as 14 digits); the traceability prefix is
        seven digits."""
        errors: dict[str, Any] = {}
        gtin = (self.gtin or "").strip()
        if gtin:
            if not scancodes.is_valid_gtin(gtin):
                errors["gtin"] = _(
                    "%(gtin)s is not a valid EAN/GTIN (8, 12, 13 or 14 digits with its check digit)."
                ) % {"gtin": gtin}
            else:
                self.gtin = scancodes.normalise_gtin(gtin)
        prefix = (self.trace_prefix or "").strip()
        if prefix and not (len(prefix) == scancodes.TRACE_PRODUCT_PREFIX_LENGTH and prefix.isdigit()):
            errors["trace_prefix"] = _("The traceability code prefix is 7 digits.")
        self.trace_prefix = prefix
        return errors


class ItemPrice(models.Model):
    """One observed or agreed price of an item, with where it came from."""

    item = models.ForeignKey(Item, verbose_name=_("item"), related_name="prices", on_delete=models.PROTECT)
    date = models.DateField(_("date"), default=timezone.localdate)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    source = models.CharField(_("source"), max_length=255, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("item price")
        verbose_name_plural = _("item prices")
        ordering = ["item", "-date", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(price__gte=0), name="catalog_itemprice_nonneg")]

    def __str__(self) -> str:
        return f"{self.item.code} {self.date} {self.price}"
