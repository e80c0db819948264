"""Forms of the pharmacy pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.core import imports as core_imports
from baogong.core.forms import BootstrapMixin
from baogong.orgs.models import AdministrativeArea
from baogong.pharmacy import queries
from baogong.pharmacy.actions import PHOTO_MAX_BYTES
from baogong.pharmacy.choices import RX_WARNING, SettlementMethod


class AreaForm(BootstrapMixin, forms.Form):
    area = forms.ModelChoiceField(queryset=AdministrativeArea.objects.none(), label=_("Street/town"), required=False)
    q = forms.CharField(label=_("Search drugs"), required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = AdministrativeArea.objects.filter(level__in=["street", "town"]).order_by("code")  # type: ignore[attr-defined]


class CheckoutForm(BootstrapMixin, forms.Form):
    resident_name = forms.CharField(label=_("Name"), max_length=64)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20)
    area = forms.ModelChoiceField(queryset=AdministrativeArea.objects.none(), label=_("Street/town"))
    compound = forms.CharField(label=_("Compound"), max_length=128)
    building = forms.CharField(label=_("Building"), max_length=32)
    room = forms.CharField(label=_("Room"), max_length=32)
    insurance_card = forms.CharField(label=_("Insurance card number (optional)"), max_length=32, required=False)
    prescription_photo = forms.FileField(
        label=_("Photo of the prescription (needed for prescription drugs)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
        help_text=_("JPEG or PNG, up to 5 MB."),
    )
    rx_warning_accepted = forms.BooleanField(label=RX_WARNING, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = AdministrativeArea.objects.filter(level__in=["street", "town"]).order_by("code")  # type: ignore[attr-defined]

    def clean_prescription_photo(self) -> Any:
        upload = self.cleaned_data.get("prescription_photo")
        if upload and upload.size > PHOTO_MAX_BYTES:
            raise forms.ValidationError(_("The photo is larger than 5 MB."))
        return upload


class PhoneOrderForm(CheckoutForm):
    lines = forms.CharField(
        label=_("Drugs"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One line per drug: item code and quantity, e.g. DRUG-001 2"),
    )


class ReviewForm(BootstrapMixin, forms.Form):
    number = forms.CharField(label=_("Prescription number"), max_length=64, required=False)
    issuer = forms.CharField(label=_("Hospital or clinic"), max_length=128, required=False)
    patient_name = forms.CharField(label=_("Patient on the prescription"), max_length=64, required=False)
    issued_on = forms.DateField(label=_("Issued on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    supply_days = forms.IntegerField(label=_("Days of supply"), required=False, min_value=1)
    is_long_term = forms.BooleanField(label=_("Long prescription for chronic disease"), required=False)


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)


class SettleForm(BootstrapMixin, forms.Form):
    method = forms.ChoiceField(label=pgettext_lazy("method", "Payment"), choices=SettlementMethod.choices)
    transaction_number = forms.CharField(label=_("Insurance transaction number"), max_length=64, required=False)
    current_year = forms.DecimalField(
        label=_("Current-year account balance"), min_value=0, decimal_places=2, required=False
    )
    prior_years = forms.DecimalField(
        label=_("Prior-years account balance"), min_value=0, decimal_places=2, required=False
    )


class DispatchForm(BootstrapMixin, forms.Form):
    courier = forms.ModelChoiceField(label=_("Courier"), queryset=get_user_model().objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["courier"].queryset = queries.couriers()  # type: ignore[attr-defined]


class HandoverForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("Hand-over code from the resident"), max_length=8)


class ImportForm(core_imports.ImportForm):
    file = forms.FileField(label=_("Settlement file (Excel)"))
