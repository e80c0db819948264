from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from baogong.core.api import MAX_ID
from baogong.core.dates import date_range_validators
from baogong.core.forms import BootstrapMixin, MultipleFileField, MultipleFileInput
from baogong.property.choices import DocumentKind, Settlement, TenantDocumentKind
from baogong.property.models import Policy

DOCUMENT_KINDS = ("pdf", "png", "jpeg")


class ApplyForm(BootstrapMixin, forms.Form):
    settlement = forms.ChoiceField(label=_("How to give the relief"), choices=Settlement.choices)
    proof_risk_area = forms.BooleanField(label=_("The street/town was risk-listed in 2022"), required=False)
    proof_sealed_or_closed = forms.BooleanField(
        label=_("The premises were sealed, closed or requisitioned"), required=False
    )
    proof_full_year_loss = forms.BooleanField(label=_("Full-year loss"), required=False)


class _KindFilesForm(BootstrapMixin, forms.Form):
    """Files of several kinds in one submission: one field per kind (``files_<kind>``), each taking
    several files (PDF, PNG or JPEG, at most 10 MB each); at least one file in all."""

    kinds: Any = DocumentKind

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in self.kinds.choices:
            self.fields[f"files_{kind}"] = MultipleFileField(
                label=label,
                required=False,
                kinds=DOCUMENT_KINDS,
                max_files=10,
                widget=MultipleFileInput(attrs={"class": "form-control", "accept": ".pdf,.png,.jpg,.jpeg,image/*"}),
            )

    def uploads(self) -> list[tuple[str, Any]]:
        data = self.cleaned_data
        return [(kind, upload) for kind in self.kinds.values for upload in data.get(f"files_{kind}", [])]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if not self.errors and not self.uploads():
            raise forms.ValidationError(_("Choose at least one file."))
        return data


class DocumentForm(_KindFilesForm):
    """Every document of a relief application in one submission."""

    kinds = DocumentKind


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)


class TopUpForm(BootstrapMixin, forms.Form):
    policy = forms.ModelChoiceField(label=_("Later policy"), queryset=Policy.objects.filter(is_active=True))


class InvoiceForm(BootstrapMixin, forms.Form):
    up_to = forms.DateField(
        label=_("Invoice periods starting up to"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=date_range_validators(),
    )


class PaymentForm(BootstrapMixin, forms.Form):
    invoice = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0)
    paid_on = forms.DateField(
        label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}), validators=date_range_validators()
    )


class TenantDocumentForm(_KindFilesForm):
    """A tenant's licences and certificates in one submission, as the relief documents."""

    kinds = TenantDocumentKind


class EndLeaseForm(BootstrapMixin, forms.Form):
    """End a lease early (``actions.end_lease``): its last day and why."""

    on = forms.DateField(
        label=_("Last day of the lease"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=date_range_validators(),
    )
    reason = forms.CharField(label=_("Reason"), max_length=255)
