"""Forms of the stock screens. Items, sites and lots are chosen by code so a scanner can type them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from baogong.core.api import MAX_QTY
from baogong.core.dates import date_range_validators
from baogong.core.forms import BootstrapMixin
from baogong.core.scoping import scoped
from baogong.inventory.choices import QcStatus
from baogong.inventory.qc_gate import may_release
from baogong.orgs.models import Site

STOCK_SITE_KINDS = ["warehouse", "pharmacy", "fuel_station", "field_hospital"]


def stock_sites(user: Any) -> Any:
    return scoped(Site.objects.filter(kind__in=STOCK_SITE_KINDS, is_active=True), user).order_by("code")


class WarehouseField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


class WarehouseForm(BootstrapMixin, forms.Form):
    """A form that starts with one of the user's stock-holding sites (chosen when there is one)."""

    warehouse = WarehouseField(label=_("Warehouse"), queryset=Site.objects.none())

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["warehouse"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = stock_sites(user)
        if field.queryset.count() == 1:
            field.initial = field.queryset.first()


class HeaderForm(WarehouseForm):
    reference = forms.CharField(label=_("Reference"), max_length=128, required=False)


AUTOMATIC_QC = ("", _("As the QC rules say (goods needing inspection wait for QC)"))


class ReceiveHeaderForm(HeaderForm):
    supplier = forms.CharField(label=_("Supplier"), max_length=128, required=False)
    qc_status = forms.ChoiceField(
        label=_("QC status of new lots"),
        choices=[AUTOMATIC_QC, *QcStatus.choices],
        required=False,
        initial="",
        help_text=_("Only QC staff may release goods that need inspection."),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if not may_release(user):  # a keeper is not offered "released" (the action refuses it too)
            field = self.fields["qc_status"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [AUTOMATIC_QC, *((v, label) for v, label in QcStatus.choices if v != QcStatus.RELEASED)]


# Code fields offer the known codes as a datalist (see templates/inventory/_datalists.html).
ITEM_INPUT = {"list": "dl-items", "autocomplete": "off", "autocapitalize": "characters"}
BIN_INPUT = {"list": "dl-bins", "autocomplete": "off", "autocapitalize": "characters"}
SITE_INPUT = {"list": "dl-sites", "autocomplete": "off", "autocapitalize": "characters"}
QTY_INPUT = {"inputmode": "numeric"}


def _code(label: Any, *, attrs: dict[str, str], max_length: int = 64, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=forms.TextInput(attrs=dict(attrs))
    )


class ReceiveLineForm(BootstrapMixin, forms.Form):
    item = _code(_("Item code"), attrs=ITEM_INPUT, max_length=32)
    batch = forms.CharField(label=_("Batch"), max_length=64, required=False)
    expiry = forms.DateField(
        label=_("Expiry"),
        required=False,
        validators=date_range_validators(),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    qty = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QTY, widget=forms.NumberInput(attrs=QTY_INPUT)
    )
    unit_cost = forms.DecimalField(
        label=_("Unit cost (blank: reference price)"), min_value=0, max_digits=14, decimal_places=4, required=False
    )
    location = _code(_("Bin (blank: main store)"), attrs=BIN_INPUT, required=False)


class IssueHeaderForm(HeaderForm):
    recipient = _code(_("Recipient site code"), attrs=SITE_INPUT, max_length=32)


class IssueLineForm(BootstrapMixin, forms.Form):
    item = _code(_("Item code"), attrs=ITEM_INPUT, max_length=32)
    qty = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QTY, widget=forms.NumberInput(attrs=QTY_INPUT)
    )
    batch = forms.CharField(label=_("Batch (optional)"), max_length=64, required=False)


# absolute_max: a posted TOTAL_FORMS past 200 is a form error, not 1,200 forms built (Django's default)
ReceiveLines = forms.formset_factory(ReceiveLineForm, extra=5, max_num=200, absolute_max=200)
IssueLines = forms.formset_factory(IssueLineForm, extra=5, max_num=200, absolute_max=200)


class TransferForm(HeaderForm):
    item = _code(_("Item code"), attrs=ITEM_INPUT, max_length=32)
    batch = forms.CharField(label=_("Batch"), max_length=64)
    from_location = _code(_("From bin"), attrs=BIN_INPUT)
    to_location = _code(_("To bin (put away, same site)"), attrs=BIN_INPUT, required=False)
    destination = _code(
        _("Or to another site (code; goes in transit)"), attrs=SITE_INPUT, max_length=32, required=False
    )
    qty = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QTY, widget=forms.NumberInput(attrs=QTY_INPUT)
    )


class AdjustForm(BootstrapMixin, forms.Form):
    qty_change = forms.IntegerField(label=_("Quantity change (+/−)"), min_value=-MAX_QTY, max_value=MAX_QTY)
    reason = forms.CharField(label=_("Reason"), max_length=255)


class QcForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=_("QC status"), choices=QcStatus.choices)
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class QuarantineForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)


class StocktakeStartForm(HeaderForm):
    is_blind = forms.BooleanField(label=_("Blind count (counters do not see expected quantities)"), required=False)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class LocationForm(WarehouseForm):
    code = forms.CharField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=128, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("bin", _("Bin")), ("zone", _("Zone"))])


class FoundStockForm(BootstrapMixin, forms.Form):
    """A lot counted in a bin that is not on the count sheet."""

    found_item = _code(_("Item code"), attrs=ITEM_INPUT, max_length=32)
    found_batch = forms.CharField(label=_("Batch (existing or new)"), max_length=64)
    found_expiry = forms.DateField(
        label=_("Expiry (new batch)"),
        required=False,
        validators=date_range_validators(),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    found_location = _code(_("Bin (blank: main store)"), attrs=BIN_INPUT, required=False)
    found_qty = forms.IntegerField(
        label=_("Counted"), min_value=0, max_value=MAX_QTY, widget=forms.NumberInput(attrs=QTY_INPUT)
    )


class ReleaseForm(BootstrapMixin, forms.Form):
    qty = forms.IntegerField(
        label=_("Units to release"), min_value=1, max_value=MAX_QTY, widget=forms.NumberInput(attrs=QTY_INPUT)
    )


class ReceiveTransferForm(BootstrapMixin, forms.Form):
    location = _code(_("Into bin (blank: main store)"), attrs=BIN_INPUT, required=False)


class TraceReceiveForm(HeaderForm):
    """The traceability codes of packs received: one scan per pack, or an aggregation code with the
    packs it covers (from the supplier's aggregation data)."""

    item = _code(_("Item code"), attrs=ITEM_INPUT, max_length=32)
    batch = forms.CharField(label=_("Batch"), max_length=64)
    aggregate = forms.CharField(
        label=_("Aggregation code (optional)"),
        max_length=24,
        required=False,
        help_text=_("The code of the case; the codes below are then the packs in it."),
    )
    trace_codes = forms.CharField(
        label=_("Traceability codes, one per line"),
        max_length=2000 * 22,
        widget=forms.Textarea(attrs={"rows": 4, "inputmode": "numeric", "class": "font-monospace"}),
    )
