"""Row locks for the catalog's actions (``docs/decisions/0003-lock-order.md``): an item alone."""

from __future__ import annotations

from baogong.catalog.models import Item


def item_for_update(pk: int) -> Item:
    return Item.objects.select_for_update().get(pk=pk)
