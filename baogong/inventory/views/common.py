"""Helpers the inventory pages share: store locations by code, code pickers, links."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest

from baogong.catalog.models import Item
from baogong.inventory import queries
from baogong.inventory.choices import STOCK_KINDS
from baogong.inventory.models import Location
from baogong.orgs.models import Site

STOCK_KIND_CODES = sorted(str(k.value) for k in STOCK_KINDS)


# --- receive / issue / transfer / adjust ------------------------------------------------------
def _site_location(site: Site, code: str) -> Location | None:
    return Location.objects.filter(site=site, code=code, kind__in=list(STOCK_KINDS)).first() if code else None


def _reference_price(item: Item) -> Decimal:
    return item.reference_price if item.reference_price is not None else Decimal(0)


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


# --- code pickers -----------------------------------------------------------------------------
def _datalists(request: HttpRequest, site: Site | None = None) -> dict[str, Any]:
    """Known item codes, bins and sites, offered as ``<datalist>`` suggestions on the code fields."""
    bins = queries.locations_for(request.user)
    if site is not None:
        bins = bins.filter(site=site)
    return {
        "dl_items": Item.objects.filter(is_active=True).order_by("code").values_list("code", "name", "unit")[:1000],
        "dl_bins": bins.values_list("code", "name", "site__code")[:1000],
        "dl_sites": Site.objects.filter(is_active=True).order_by("code").values_list("code", "name")[:1000],
    }
