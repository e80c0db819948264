from __future__ import annotations

from django import forms

from baogong.catalog.models import Item
from baogong.core.forms import BootstrapMixin


class ItemForm(BootstrapMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Item
        fields = [
            "code",
            "name",
            "name_en",
            "category",
            "unit",
            "pack_qty",
            "pack_unit",
            "pack_size",
            "weight_kg",
            "volume_m3",
            "specification",
            "standard",
            "regulatory_number",
            "reference_price",
            "shelf_life_days",
            "storage",
            "is_active",
        ]

    def validate_unique(self) -> None:  # the action checks uniqueness and reports it on the field
        return
