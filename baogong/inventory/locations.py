"""Finding (and creating on first use) the locations of sites and the virtual locations."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.transactions import require_transaction
from baogong.inventory.choices import LocationKind
from baogong.inventory.errors import StockInvalid
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


def add_location(
    site: Site, *, code: str, name: str, kind: str = LocationKind.BIN, parent: Location | None = None, actor: Actor
) -> Location:
    """A zone or bin of ``site``, inside the caller's transaction (another app's record that needs
    its own location — a fuel tank — is written in the same transaction, so neither is left alone).

    The caller checks the actor's scope. A code already used at the site is a field error; two
    callers adding it at once meet the unique index, which the durable actions retry once
    (``retry_on_conflict``) so the second one gets this field error."""
    require_transaction("inventory.locations.add_location")
    errors: dict[str, list[str]] = {}
    if kind not in (LocationKind.ZONE, LocationKind.BIN, LocationKind.INTERNAL):
        errors["kind"] = [_("Only zones and bins can be added.")]
    if not code.strip():
        errors["code"] = [_("required")]
    if parent is not None and parent.site_id != site.pk:
        errors["parent"] = [_("The parent is at another site.")]
    if Location.objects.filter(site=site, code=code.strip()).exists():
        errors["code"] = [_("This code is already used at the site.")]
    if errors:
        raise StockInvalid(details=errors)
    location = Location.objects.create(
        site=site, code=code.strip()[:64], name=(name or code).strip()[:128], kind=kind, parent=parent
    )
    audit.record("create_location", location, actor=actor, after=audit.snapshot(location))
    return location
