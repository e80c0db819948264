from __future__ import annotations

from django import forms

from baogong.catalog.actions import ITEM_FIELDS
from baogong.catalog.models import Item
from baogong.core.forms import BootstrapMixin


class ItemForm(BootstrapMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Item
        fields = ITEM_FIELDS

    def validate_unique(self) -> None:  # the action checks uniqueness and reports it on the field
        return
