"""Items named by their code, for serializers, forms and imports alike (the catalog is shared by
every organisation, so there is no scope to apply)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from baogong.catalog.models import Item

UNKNOWN_ITEM = _("Unknown item code.")


def item_by_code(code: str) -> Item | None:
    return Item.objects.filter(code=code).first()


def items_by_code(codes: Iterable[str]) -> dict[str, Item]:
    """The items with these codes, by code; an unknown code is simply absent."""
    return {item.code: item for item in Item.objects.filter(code__in=set(codes))}
