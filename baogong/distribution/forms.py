"""Forms of the distribution pages that edit records (the per-person norms)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from baogong.catalog.models import Item
from baogong.core.forms import BootstrapMixin
from baogong.distribution.models import Norm


class ItemChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name} ({obj.unit})"


class NormForm(BootstrapMixin, forms.Form):
    """A per-person norm: the item (fixed when editing), units per person and a note."""

    item = ItemChoiceField(label=_("Item"), queryset=Item.objects.none())
    qty_per_person = forms.DecimalField(
        label=_("Units per person"),
        min_value=Decimal(0),
        max_digits=10,
        decimal_places=4,
        help_text=_(
            "Issue units one person is entitled to. A line's claim is capped at "
            "people served × this norm (rounded down)."
        ),
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args: Any, norm: Norm | None = None, **kwargs: Any) -> None:
        if norm is not None:
            kwargs.setdefault(
                "initial", {"item": norm.item_id, "qty_per_person": norm.qty_per_person, "note": norm.note}
            )
        super().__init__(*args, **kwargs)
        field = self.fields["item"]
        assert isinstance(field, forms.ModelChoiceField)
        if norm is not None:
            field.queryset = Item.objects.filter(pk=norm.item_id)
            field.disabled = True
        else:
            field.queryset = Item.objects.filter(is_active=True, norm__isnull=True).order_by("code")


class LoadForm(BootstrapMixin, forms.Form):
    """Load a picked shipment: a registered vehicle and a registered driver, chosen from those the
    user may use (offered by the fleet through :mod:`baogong.distribution.hooks`). Both are required
    by ``load_shipment``, which answers a missing one on its field with every other refusal."""

    vehicle_id = forms.TypedChoiceField(label=_("Vehicle"), coerce=int, choices=[], required=False, empty_value=None)
    driver_id = forms.TypedChoiceField(label=_("Driver"), coerce=int, choices=[], required=False, empty_value=None)

    def __init__(self, *args: Any, options: tuple[list[Any], list[Any]] = ([], []), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        vehicles, drivers = options
        self.fields["vehicle_id"].choices = [("", _("— choose —")), *[(o.id, o.label) for o in vehicles]]  # type: ignore[attr-defined]
        self.fields["driver_id"].choices = [("", _("— choose —")), *[(o.id, o.label) for o in drivers]]  # type: ignore[attr-defined]
