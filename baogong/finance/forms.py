from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.core.forms import BootstrapMixin
from baogong.finance.models import CostLine, Mission
from baogong.orgs import queries as org_queries
from baogong.orgs.models import Organisation, Site


class MissionForm(BootstrapMixin, forms.ModelForm):  # type: ignore[type-arg]
    recipients = forms.ModelMultipleChoiceField(
        queryset=Site.objects.none(),
        required=False,
        label=pgettext_lazy("aid", "recipients"),
        widget=forms.SelectMultiple,
    )

    class Meta:
        model = Mission
        fields = ["code", "name", "kind", "organisation", "funder", "budget", "starts_on", "ends_on", "description"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = org_queries.organisations_for(user)  # type: ignore[attr-defined]
        self.fields["funder"].queryset = Organisation.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["recipients"].queryset = Site.objects.filter(is_active=True)  # type: ignore[attr-defined]


class CostLineForm(BootstrapMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CostLine
        fields = ["category", "amount", "incurred_on", "invoice_number", "supplier", "description", "attachment"]
        widgets = {"incurred_on": forms.DateInput(attrs={"type": "date"})}


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=255)


class PaymentForm(BootstrapMixin, forms.Form):
    amount = forms.DecimalField(label=_("amount"), max_digits=14, decimal_places=2)
    received_on = forms.DateField(label=_("received on"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("reference"), max_length=64, required=False)
