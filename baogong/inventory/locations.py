"""Finding (and creating on first use) the locations of sites and the virtual locations."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from baogong.inventory.choices import LocationKind
from baogong.inventory.models import Location
from baogong.orgs.models import Site

PER_SITE = {
    LocationKind.RECIPIENT: "RECIPIENT",
    LocationKind.QUARANTINE: "QUARANTINE",
    LocationKind.IN_TRANSIT: "IN-TRANSIT",
}
GLOBAL = {
    LocationKind.SUPPLIER: "SUPPLIER",
    LocationKind.ADJUSTMENT: "ADJUSTMENT",
    LocationKind.LOSS: "LOSS",
}


def _labels() -> dict[str, str]:
    return {
        LocationKind.RECIPIENT: pgettext("transfer", "Received"),
        LocationKind.QUARANTINE: _("Quarantine"),
        LocationKind.IN_TRANSIT: _("In transit"),
        LocationKind.SUPPLIER: _("Suppliers"),
        LocationKind.ADJUSTMENT: _("Inventory adjustment"),
        LocationKind.LOSS: _("Loss and destruction"),
    }


def _get_or_create(lookup: dict[str, object], defaults: dict[str, object]) -> Location:
    location = Location.objects.filter(**lookup).first()
    if location is not None:
        return location
    try:
        with transaction.atomic():
            return Location.objects.create(**lookup, **defaults)
    except IntegrityError:
        return Location.objects.get(**lookup)


def default_location(site: Site) -> Location:
    """The site's default internal location (where receipts go unless a bin is named)."""
    return _get_or_create(
        {"site": site, "is_default": True},
        {"code": "MAIN", "name": _("Main store"), "kind": LocationKind.INTERNAL},
    )


def site_location(site: Site, kind: str) -> Location:
    """The site's recipient, quarantine or in-transit location."""
    return _get_or_create({"site": site, "kind": kind}, {"code": PER_SITE[LocationKind(kind)], "name": _labels()[kind]})


def recipient_location(site: Site) -> Location:
    return site_location(site, LocationKind.RECIPIENT)


def quarantine_location(site: Site) -> Location:
    return site_location(site, LocationKind.QUARANTINE)


def in_transit_location(site: Site) -> Location:
    return site_location(site, LocationKind.IN_TRANSIT)


def virtual_location(kind: str) -> Location:
    """The shared supplier, adjustment or loss location."""
    return _get_or_create({"site": None, "kind": kind, "code": GLOBAL[LocationKind(kind)]}, {"name": _labels()[kind]})
