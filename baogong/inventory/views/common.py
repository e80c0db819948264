"""Helpers the inventory pages share: links and code pickers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from baogong.catalog.models import Item
from baogong.inventory import queries
from baogong.inventory.choices import STOCK_KINDS
from baogong.orgs.models import Site

STOCK_KIND_CODES = sorted(str(k.value) for k in STOCK_KINDS)


# --- links -------------------------------------------------------------------------------------
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
