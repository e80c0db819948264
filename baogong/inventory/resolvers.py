"""Lots and locations named by their codes, and the lines of a receipt or an issue named by codes,
resolved once for the page and the API alike.

A line that names something unknown gets one error ``(field, message)`` keyed by its position;
the page puts it on the line's form, the API answers it as ``{"lines": {"<n>": {field: [...]}}}``.
Items are the catalog's (no scope); the warehouse is resolved (and scoped) by the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from baogong.catalog.models import Item
from baogong.catalog.resolvers import UNKNOWN_ITEM, items_by_code
from baogong.inventory.choices import STOCK_KINDS
from baogong.inventory.ledger import IssueLineInput, ReceiptLineInput
from baogong.inventory.models import Location, Lot
from baogong.orgs.models import Site

UNKNOWN_LOT = _("Unknown batch of this item.")
UNKNOWN_LOCATION = _("Unknown location at this warehouse.")

LineErrors = dict[int, tuple[str, Promise]]
"""Position of a line -> (the field that names something unknown, the message)."""


def lot_by_batch(item: Item, batch: str) -> Lot | None:
    return Lot.objects.filter(item=item, batch=batch).first()


def lots_by_batch(pairs: Iterable[tuple[Item, str]]) -> dict[tuple[int, str], Lot]:
    """The lots of ``(item, batch)`` pairs, by ``(item id, batch)``, one statement per 900 items."""
    wanted = {(item.pk, batch) for item, batch in pairs}
    item_ids = sorted({pk for pk, _batch in wanted})
    batches = sorted({batch for _pk, batch in wanted})
    found: dict[tuple[int, str], Lot] = {}
    for start in range(0, len(item_ids), 900):
        for lot in Lot.objects.filter(item_id__in=item_ids[start : start + 900], batch__in=batches):
            if (lot.item_id, lot.batch) in wanted:
                found[(lot.item_id, lot.batch)] = lot
    return found


def lot_by_item_code(item_code: str, batch: str) -> Lot | None:
    return Lot.objects.filter(item__code=item_code, batch=batch).select_related("item").first()


def stock_location(site: Site, code: str) -> Location | None:
    """The store location (not quarantine, not a virtual one) with this code at the site."""
    return Location.objects.filter(site=site, code=code, kind__in=list(STOCK_KINDS)).first() if code else None


def locations_by_code(site: Site, codes: Iterable[str], *, stock_only: bool) -> dict[str, Location]:
    found = Location.objects.filter(site=site, code__in=set(codes))
    if stock_only:
        found = found.filter(kind__in=list(STOCK_KINDS))
    return {location.code: location for location in found}


def reference_price(item: Item) -> Decimal:
    return item.reference_price if item.reference_price is not None else Decimal(0)


def receipt_lines(
    warehouse: Site, lines: Sequence[Mapping[str, Any]], *, batch_field: str, stock_locations_only: bool
) -> tuple[list[ReceiptLineInput], LineErrors]:
    """Receipt lines from ``{"item", batch_field, "qty", "unit_cost", "expiry", "production_date",
    "location"}`` (an empty mapping is a blank line, skipped; no unit cost means the item's
    reference price)."""
    items = items_by_code(line["item"] for line in lines if line)
    bins = locations_by_code(
        warehouse, (line.get("location") or "" for line in lines if line), stock_only=stock_locations_only
    )
    inputs: list[ReceiptLineInput] = []
    errors: LineErrors = {}
    for i, line in enumerate(lines):
        if not line:
            continue
        item = items.get(line["item"])
        location = bins.get(line.get("location") or "")
        if item is None:
            errors[i] = ("item", UNKNOWN_ITEM)
            continue
        if line.get("location") and location is None:
            errors[i] = ("location", UNKNOWN_LOCATION)
            continue
        unit_cost = line.get("unit_cost")
        inputs.append(
            ReceiptLineInput(
                item=item,
                batch=line.get(batch_field) or "",
                qty=line["qty"],
                unit_cost=unit_cost if unit_cost is not None else reference_price(item),
                expiry=line.get("expiry"),
                production_date=line.get("production_date"),
                location=location,
            )
        )
    return inputs, errors


def issue_lines(
    lines: Sequence[Mapping[str, Any]],
    *,
    batch_field: str,
    find_items: Callable[[Iterable[str]], dict[str, Item]] = items_by_code,
) -> tuple[list[IssueLineInput], LineErrors]:
    """Issue lines from ``{"item", "qty", batch_field}`` (an empty mapping is a blank line, skipped;
    no batch means earliest expiry first). ``find_items``: codes → items (the API's cached lookup)."""
    items = find_items(line["item"] for line in lines if line)
    lots = lots_by_batch(
        (items[line["item"]], line[batch_field])
        for line in lines
        if line and line["item"] in items and line.get(batch_field)
    )
    inputs: list[IssueLineInput] = []
    errors: LineErrors = {}
    for i, line in enumerate(lines):
        if not line:
            continue
        item = items.get(line["item"])
        if item is None:
            errors[i] = ("item", UNKNOWN_ITEM)
            continue
        batch = line.get(batch_field)
        lot = lots.get((item.pk, batch)) if batch else None
        if batch and lot is None:
            errors[i] = (batch_field, UNKNOWN_LOT)
            continue
        inputs.append(IssueLineInput(item=item, qty=line["qty"], lot=lot))
    return inputs, errors


def api_line_errors(errors: LineErrors) -> dict[str, dict[str, list[str]]]:
    """The API's shape of line errors: ``{"<n>": {field: [message]}}``."""
    return {str(i): {field: [str(message)]} for i, (field, message) in errors.items()}
