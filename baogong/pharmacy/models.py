"""Online pharmacy: insurance policies, drugs, orders, prescriptions, settlements, deliveries."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from baogong.core.models import TimeStampedModel

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
