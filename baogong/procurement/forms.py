from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.catalog.models import Item
from baogong.core.forms import BootstrapMixin
from baogong.core.scoping import scoped
from baogong.orgs.models import Organisation, Site
from baogong.procurement.actions.suppliers import SUPPLIER_FIELDS
from baogong.procurement.choices import InspectionDecision, LicenceKind, SampleResult, SupplyCategory
from baogong.procurement.models import Supplier

DATE = forms.DateInput(attrs={"type": "date"})


class SupplierForm(BootstrapMixin, forms.ModelForm):  # type: ignore[type-arg]
    categories = forms.MultipleChoiceField(
        label=_("categories supplied"), choices=SupplyCategory.choices, widget=forms.SelectMultiple
    )

    class Meta:
        model = Supplier
        fields = SUPPLIER_FIELDS

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = scoped(  # type: ignore[attr-defined]
            Organisation.objects.filter(is_group_member=True), user
        )
        self.fields["uscc"].validators = []  # the action validates and explains

    def clean_uscc(self) -> str:
        return str(self.cleaned_data["uscc"]).strip().upper()

    def validate_unique(self) -> None:  # the action checks duplicates
        return None


class LicenceForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=[("", "—"), *LicenceKind.choices])
    number = forms.CharField(label=_("number"), max_length=64)
    scope = forms.CharField(label=_("business scope"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    issued_on = forms.DateField(label=pgettext_lazy("licence", "issued on"), required=False, widget=DATE)
    expires_on = forms.DateField(
        label=_("expires on"), required=False, widget=DATE, help_text=_("Empty for long-term.")
    )
    document = forms.FileField(label=_("scanned document (PDF, JPEG, PNG)"), required=False)


class BaseLicenceFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    """Several licences in one submission: the rows filled in, each with its scanned document."""

    def entries(self) -> list[tuple[dict[str, Any], Any]]:
        return [
            (f.cleaned_data, f.cleaned_data.get("document")) for f in self.forms if f.has_changed() and f.cleaned_data
        ]

    def clean(self) -> None:
        super().clean()
        if not any(self.errors) and not self.entries():
            raise forms.ValidationError(_("Add at least one licence."))


LicenceFormSet: type[BaseLicenceFormSet] = forms.formset_factory(  # type: ignore[assignment]
    LicenceForm, formset=BaseLicenceFormSet, extra=3, max_num=10, absolute_max=10, validate_max=True
)


class StatusForm(BootstrapMixin, forms.Form):
    action = forms.ChoiceField(
        label=_("decision"),
        choices=[("approve", _("Approve")), ("suspend", _("Suspend")), ("blacklist", _("Blacklist (group-wide)"))],
    )
    reason = forms.CharField(label=_("reason"), required=False, max_length=255)


class OrderForm(BootstrapMixin, forms.Form):
    supplier = forms.ModelChoiceField(label=_("supplier"), queryset=Supplier.objects.none())
    notes = forms.CharField(label=_("notes"), required=False, max_length=255)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = scoped(  # type: ignore[attr-defined]
            Supplier.objects.filter(status="approved"), user
        ).select_related("organisation")


class OrderLineForm(BootstrapMixin, forms.Form):
    item = forms.ModelChoiceField(label=_("item"), queryset=Item.objects.filter(is_active=True))
    qty = forms.IntegerField(label=_("quantity"), min_value=1)
    unit_price = forms.DecimalField(label=_("unit price"), min_value=0, max_digits=12, decimal_places=2)
    delivery_date = forms.DateField(label=_("delivery date"), widget=DATE)
    warehouse = forms.ModelChoiceField(label=_("warehouse"), queryset=Site.objects.none())
    price_reason = forms.CharField(label=_("reason for the price"), required=False, max_length=255)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = scoped(  # type: ignore[attr-defined]
            Site.objects.filter(kind__in=["warehouse", "pharmacy"]), user
        )


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=3, min_num=1, validate_min=True)


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("reason"), required=False, max_length=255)


class ReceiveLineForm(BootstrapMixin, forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    qty = forms.IntegerField(label=_("quantity"), min_value=0, required=False)
    batch = forms.CharField(label=_("batch"), max_length=64, required=False)
    production_date = forms.DateField(label=_("production date"), required=False, widget=DATE)
    expiry = forms.DateField(label=_("expiry"), required=False, widget=DATE)


ReceiveFormSet = forms.formset_factory(ReceiveLineForm, extra=0)


class InspectionForm(BootstrapMixin, forms.Form):
    registration_number = forms.CharField(label=_("registration/approval number on the label"), required=False)
    registrant = forms.CharField(label=_("registrant on the label"), required=False)
    batch = forms.CharField(label=_("batch on the label"), max_length=64)
    production_date = forms.DateField(label=_("production date"), required=False, widget=DATE)
    expiry = forms.DateField(label=_("expiry"), required=False, widget=DATE)
    has_inspection_report = forms.BooleanField(label=_("inspection report present"), required=False)
    packaging_ok = forms.BooleanField(label=_("packaging and label in order"), required=False, initial=True)
    packaging_findings = forms.CharField(label=_("packaging/label findings"), required=False, max_length=255)
    sample_result = forms.ChoiceField(label=_("sample test"), choices=SampleResult.choices)
    decision = forms.ChoiceField(label=_("decision"), choices=InspectionDecision.choices)
    reason = forms.CharField(label=_("reason"), required=False, max_length=255)
