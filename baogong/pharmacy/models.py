"""Online pharmacy: insurance policies, drugs, orders, prescriptions, settlements, deliveries."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.catalog.models import Item
from baogong.core.identifiers import validate_drug_approval
from baogong.core.models import TimeStampedModel, who_field
from baogong.core.scoping import scope_by_fields
from baogong.orgs.models import AdministrativeArea, Site
from baogong.pharmacy.choices import (
    ANTIBIOTICS_TOPICAL_ALLOWED,
    NAMED_BANNED_GENERICS,
    TOPICAL_FORMS,
    DosageForm,
    InsuranceClass,
    OnlineBan,
    OrderChannel,
    OrderStatus,
    PrescriptionStatus,
    SaleClass,
    SettlementMethod,
    SettlementStatus,
)

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class InsurancePolicy(TimeStampedModel):
    """A dated insurance payment policy; every rate lives here, none in code.

    A line's amount is unit price × quantity rounded half up to the fen; its eligible part is
    the class percentage of that amount, rounded half up to the fen. Fees are eligible only if
    ``fees_eligible``. The eligible total is paid from the current-year personal account, then
    the prior-years account; the pooled fund pays ``pooled_fund_percent`` of what is still
    eligible after that; everything else is self-paid.
    """

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_default = models.BooleanField(_("default policy"), default=False)
    class_a_eligible_percent = models.DecimalField(
        _("eligible share of class A lines (%)"), max_digits=5, decimal_places=2, validators=PERCENT
    )
    class_b_eligible_percent = models.DecimalField(
        _("eligible share of class B lines (%)"), max_digits=5, decimal_places=2, validators=PERCENT
    )
    unlisted_eligible_percent = models.DecimalField(
        _("eligible share of unlisted lines (%)"), max_digits=5, decimal_places=2, validators=PERCENT
    )
    fees_eligible = models.BooleanField(_("delivery and packaging fees eligible"), default=False)
    pooled_fund_percent = models.DecimalField(
        _("pooled fund share after personal accounts (%)"), max_digits=5, decimal_places=2, validators=PERCENT
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("insurance policy")
        verbose_name_plural = _("insurance policies")
        ordering = ["-valid_from", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=models.F("valid_from")),
                name="pharmacy_policy_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="pharmacy_one_default_policy"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def eligible_percent(self, insurance_class: str) -> Decimal:
        return {
            "A": self.class_a_eligible_percent,
            "B": self.class_b_eligible_percent,
        }.get(insurance_class, self.unlisted_eligible_percent)


class FeeSchedule(models.Model):
    """Dated delivery and packaging fees charged on an online order (self-paid under the policy)."""

    valid_from = models.DateField(_("valid from"), unique=True)
    delivery_fee = models.DecimalField(
        _("delivery fee"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    packaging_fee = models.DecimalField(
        _("packaging fee"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("fee schedule")
        verbose_name_plural = _("fee schedules")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.valid_from}: {self.delivery_fee} + {self.packaging_fee}"


class Drug(TimeStampedModel):
    """Drug master data attached to a catalog item (the item is what the ledger counts)."""

    item = models.OneToOneField(Item, verbose_name=_("item"), related_name="drug", on_delete=models.PROTECT)
    generic_name = models.CharField(_("generic name"), max_length=128, db_index=True)
    brand_name = models.CharField(_("brand name"), max_length=128, blank=True)
    approval_number = models.CharField(_("approval number"), max_length=32, validators=[validate_drug_approval])
    dosage_form = models.CharField(_("dosage form"), max_length=16, choices=DosageForm.choices)
    strength = models.CharField(_("strength"), max_length=64)
    pack = models.CharField(_("pack"), max_length=64)
    sale_class = models.CharField(_("OTC or prescription"), max_length=8, choices=SaleClass.choices)
    insurance_class = models.CharField(
        _("insurance list class"), max_length=1, choices=InsuranceClass.choices, default=InsuranceClass.C
    )
    is_glucose_lowering = models.BooleanField(_("glucose-lowering (e.g. insulin)"), default=False)
    online_ban = models.CharField(
        _("online-sale ban"), max_length=24, choices=OnlineBan.choices, blank=True, default=OnlineBan.NONE
    )
    online_ban_note = models.CharField(_("ban note"), max_length=255, blank=True)
    unit_price = models.DecimalField(
        _("retail price per unit"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("drug")
        verbose_name_plural = _("drugs")
        ordering = ["generic_name", "item__code"]
        permissions = [("manage_drugs", "Can add and change drugs")]
        constraints = [models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="pharmacy_drug_price_nonneg")]

    def __str__(self) -> str:
        return f"{self.generic_name} {self.strength}" + (f" ({self.brand_name})" if self.brand_name else "")

    @property
    def is_rx(self) -> bool:
        return self.sale_class == SaleClass.RX

    def automatic_ban(self) -> str:
        """The ban the list imposes by form or name alone (empty when none)."""
        if self.dosage_form == DosageForm.INJECTION and not self.is_glucose_lowering:
            return OnlineBan.INJECTION
        generic = self.generic_name.strip()
        named = next((name for name in NAMED_BANNED_GENERICS if generic.startswith(name)), None)
        if named is not None:
            topical_ok = named in ANTIBIOTICS_TOPICAL_ALLOWED and self.dosage_form in TOPICAL_FORMS
            if not topical_ok:
                return OnlineBan.NAMED_LIST
        return ""

    @property
    def ban(self) -> str:
        return self.online_ban or self.automatic_ban()

    @property
    def is_banned_online(self) -> bool:
        return bool(self.ban)

    @property
    def ban_reason(self) -> str:
        if not self.ban:
            return ""
        label = str(OnlineBan(self.ban).label)
        return f"{label}: {self.online_ban_note}" if self.online_ban_note else label


class Order(TimeStampedModel):
    """A resident's order filled by one pharmacy (a basket split across pharmacies is several orders)."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    basket = models.CharField(_("basket"), max_length=24, db_index=True)
    access_code = models.CharField(_("access code"), max_length=8)
    handover_code = models.CharField(_("hand-over code"), max_length=8)
    pharmacy = models.ForeignKey(
        Site, verbose_name=_("pharmacy"), related_name="pharmacy_orders", on_delete=models.PROTECT
    )
    channel = models.CharField(_("channel"), max_length=8, choices=OrderChannel.choices, default=OrderChannel.ONLINE)
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.PLACED, db_index=True
    )
    resident_name = models.CharField(_("resident name"), max_length=64)
    phone_masked = models.CharField(_("phone"), max_length=32)
    area = models.ForeignKey(
        AdministrativeArea, verbose_name=_("street/town"), related_name="+", on_delete=models.PROTECT
    )
    compound = models.CharField(_("compound"), max_length=128)
    building = models.CharField(_("building"), max_length=32)
    room = models.CharField(_("room"), max_length=32)
    insurance_card_masked = models.CharField(_("insurance card"), max_length=32, blank=True)
    rx_warning_accepted = models.BooleanField(_("prescription warning accepted"), default=False)
    delivery_fee = models.DecimalField(_("delivery fee"), max_digits=8, decimal_places=2, default=Decimal("0"))
    packaging_fee = models.DecimalField(_("packaging fee"), max_digits=8, decimal_places=2, default=Decimal("0"))
    distance_km = models.DecimalField(_("distance (km)"), max_digits=8, decimal_places=2, null=True, blank=True)
    taken_by = who_field(_("taken by"))
    reviewed_by = who_field(pgettext_lazy("pharmacist", "reviewed by"))
    reviewed_at = models.DateTimeField(pgettext_lazy("pharmacist", "reviewed at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason"), max_length=255, blank=True)
    courier = who_field(_("courier"))
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    failure_reason = models.CharField(_("delivery failure"), max_length=255, blank=True)

    scope_org_field: ClassVar[str] = "pharmacy__organisation_id"
    scope_site_field: ClassVar[str] = "pharmacy_id"

    class Meta:
        verbose_name = _("pharmacy order")
        verbose_name_plural = _("pharmacy orders")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("take_phone_order", "Can take an order by phone"),
            ("review_order", "Can review and approve pharmacy orders"),
            ("deliver_order", "Can deliver pharmacy orders"),
            ("settle_order", "Can record pharmacy settlements"),
        ]

    def __str__(self) -> str:
        return self.number

    audit_scope = scope_by_fields

    def handover_version(self, *, status: str | None = None, courier_id: int | None = None) -> str:
        """What a courier's offline hand-over is based on: the order's status and courier, keyed
        with the site's secret (only someone shown the order can name it). A re-assignment, a
        cancellation or another hand-over changes it; an offline event based on an older version
        is kept for review."""
        from django.utils.crypto import salted_hmac

        value = f"{self.pk}|{status or self.status}|{courier_id if courier_id is not None else self.courier_id}"
        return salted_hmac("baogong.pharmacy.handover", value).hexdigest()[:16]

    @property
    def address(self) -> str:
        return f"{self.area.name} {self.compound} {self.building}-{self.room}"

    @property
    def goods_total(self) -> Decimal:
        return sum((line.amount for line in self.lines.all()), Decimal("0.00"))

    @property
    def fees(self) -> Decimal:
        return self.delivery_fee + self.packaging_fee

    @property
    def total(self) -> Decimal:
        return self.goods_total + self.fees

    @property
    def needs_prescription(self) -> bool:
        return any(line.drug.is_rx for line in self.lines.all())


class OrderLine(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("order"), related_name="lines", on_delete=models.CASCADE)
    drug = models.ForeignKey(Drug, verbose_name=_("drug"), related_name="order_lines", on_delete=models.PROTECT)
    qty = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    insurance_class = models.CharField(_("insurance list class"), max_length=1, choices=InsuranceClass.choices)

    scope_org_field: ClassVar[str] = "order__pharmacy__organisation_id"
    scope_site_field: ClassVar[str] = "order__pharmacy_id"

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order_id", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(qty__gte=1), name="pharmacy_line_qty_positive")]

    def __str__(self) -> str:
        return f"{self.order.number} {self.drug} × {self.qty}"

    @property
    def amount(self) -> Decimal:
        from baogong.core.money import round_fen

        return round_fen(self.unit_price * self.qty)


def prescription_path(instance: Prescription, filename: str) -> str:
    stamp = timezone.now()
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"pharmacy/prescriptions/{stamp:%Y/%m}/{instance.fingerprint[:32]}.{extension}"


class Prescription(TimeStampedModel):
    """A prescription photo sent with an order; checked by a pharmacist, marked used on dispensing."""

    order = models.ForeignKey(Order, verbose_name=_("order"), related_name="prescriptions", on_delete=models.PROTECT)
    photo = models.FileField(_("photo"), upload_to=prescription_path, max_length=200)
    fingerprint = models.CharField(_("photo fingerprint"), max_length=64, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PrescriptionStatus.choices, default=PrescriptionStatus.PENDING
    )
    number = models.CharField(_("prescription number"), max_length=64, blank=True, db_index=True)
    issuer = models.CharField(_("hospital or clinic"), max_length=128, blank=True)
    patient_name = models.CharField(_("patient on the prescription"), max_length=64, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    supply_days = models.PositiveIntegerField(_("days of supply"), null=True, blank=True)
    is_long_term = models.BooleanField(_("long prescription for chronic disease"), default=False)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    scope_org_field: ClassVar[str] = "order__pharmacy__organisation_id"
    scope_site_field: ClassVar[str] = "order__pharmacy_id"

    class Meta:
        verbose_name = _("prescription")
        verbose_name_plural = _("prescriptions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number or self.fingerprint[:12]

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.order.audit_scope()


class Settlement(TimeStampedModel):
    """How an order was paid: the insurance split (with the insurer's transaction number) or self-pay."""

    order = models.OneToOneField(Order, verbose_name=_("order"), related_name="settlement", on_delete=models.PROTECT)
    method = models.CharField(_("method"), max_length=16, choices=SettlementMethod.choices)
    policy = models.ForeignKey(
        InsurancePolicy,
        verbose_name=pgettext_lazy("insurance", "policy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    transaction_number = models.CharField(_("insurance transaction number"), max_length=64, blank=True)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    eligible = models.DecimalField(_("eligible"), max_digits=12, decimal_places=2)
    personal_current = models.DecimalField(_("current-year account"), max_digits=12, decimal_places=2)
    personal_prior = models.DecimalField(_("prior-years account"), max_digits=12, decimal_places=2)
    pooled = models.DecimalField(_("pooled fund"), max_digits=12, decimal_places=2)
    self_pay = models.DecimalField(_("self-paid"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=16, choices=SettlementStatus.choices, default=SettlementStatus.SETTLED
    )
    settled_on = models.DateField(_("settled on"), default=timezone.localdate, db_index=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    refund_reason = models.CharField(_("refund reason"), max_length=255, blank=True)
    recorded_by = who_field(_("recorded by"))

    scope_org_field: ClassVar[str] = "order__pharmacy__organisation_id"
    scope_site_field: ClassVar[str] = "order__pharmacy_id"

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-settled_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    total=models.F("personal_current")
                    + models.F("personal_prior")
                    + models.F("pooled")
                    + models.F("self_pay")
                ),
                name="pharmacy_settlement_parts_add_up",
            ),
            models.UniqueConstraint(
                fields=["transaction_number"],
                condition=~models.Q(transaction_number=""),
                name="pharmacy_settlement_unique_txn",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.number} {self.total}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.order.audit_scope()


class DrugDemand(models.Model):
    """A resident asked for a drug no pharmacy nearby could supply: the shortage list for procurement."""

    drug = models.ForeignKey(Drug, verbose_name=_("drug"), related_name="demands", on_delete=models.PROTECT)
    area = models.ForeignKey(
        AdministrativeArea,
        verbose_name=_("street/town"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    qty = models.PositiveIntegerField(_("quantity"))
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("unmet drug demand")
        verbose_name_plural = _("unmet drug demands")
        ordering = ["-asked_at"]

    def __str__(self) -> str:
        return f"{self.drug} × {self.qty}"
