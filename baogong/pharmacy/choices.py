from django.db import models
from django.utils.translation import gettext_lazy as _


class InsuranceClass(models.TextChoices):
    """The insurance list class of a drug: 甲类 (A), 乙类 (B) or not listed (C)."""

    A = "A", _("Class A (甲类)")
    B = "B", _("Class B (乙类)")
    C = "C", _("Not listed")
