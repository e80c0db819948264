"""Code → record lookups the stock API makes on every posting, kept in Django's cache (issue 25).

Sites and items by code and the recipient location of a site are read on every issue; they change
rarely. With a cache every process shares (see :mod:`baogong.core.authz`), they are kept under a
generation that any save or delete of an item, a site or a location bumps; otherwise (a cache per
process) every lookup reads the database as before, so another process's change is never missed.
Within a request the entries go through :mod:`baogong.core.authz`'s request memo: :func:`prefetch`
asks for every entry a posting will need in one round trip.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from baogong.catalog.models import Item
from baogong.catalog.resolvers import items_by_code
from baogong.core import authz
from baogong.inventory import locations
from baogong.inventory.choices import LocationKind
from baogong.inventory.models import Location
from baogong.orgs.models import Site

GENERATION_KEY = "lookups:generation"
TTL = 600


def _keep(entries: dict[str, Any]) -> None:
    """Cache rows read; inside a transaction only once it commits (a row it made or saw may still
    be rolled back, and a rolled-back row must never be served from the cache)."""
    authz.keep(entries, TTL)


def _key(*parts: Any) -> str:
    return ":".join([authz.namespace(), "lookups", str(authz.generation(GENERATION_KEY)), *map(str, parts)])


def site_by_code(code: str) -> Site | None:
    """Any site with this code (scope is the caller's business)."""
    if not authz.enabled():
        return Site.objects.filter(code=code).first()
    key = _key("site", code)
    site = authz.get(key)
    if site is None:
        site = Site.objects.filter(code=code).first()
        if site is not None:
            _keep({key: site})
    return site


def items(codes: Iterable[str]) -> dict[str, Item]:
    """The items with these codes, by code; an unknown code is simply absent."""
    wanted = sorted(set(codes))
    if not authz.enabled():
        return items_by_code(wanted)
    keys = {code: _key("item", code) for code in wanted}
    found = authz.get_many(list(keys.values()))
    out = {code: found[key] for code, key in keys.items() if key in found}
    missing = [code for code in wanted if code not in out]
    if missing:
        fresh = items_by_code(missing)
        _keep({keys[code]: item for code, item in fresh.items()})
        out.update(fresh)
    return out


def recipient_location(site: Site) -> Location:
    """The site's recipient location (made on first use)."""
    if not authz.enabled():
        return locations.recipient_location(site)
    return made_recipient_location(site) or locations.recipient_location(site)


def made_recipient_location(site: Site) -> Location | None:
    """The site's recipient location if it is made already (``None`` otherwise: nothing is written)."""
    if not authz.enabled():
        return Location.objects.filter(site=site, kind=LocationKind.RECIPIENT).first()
    key = _key("recipient", site.code)
    location = authz.get(key)
    if location is None or location.site_id != site.pk:
        location = Location.objects.filter(site=site, kind=LocationKind.RECIPIENT).first()
        if location is not None:
            _keep({key: location})
    return location


def prefetch(site_codes: Iterable[str], item_codes: Iterable[str], *, recipients: Iterable[str] = ()) -> None:
    """Ask for the sites, the recipients' locations and the items a posting names in one round
    trip (kept in the request's memo for the lookups above); nothing when the cache is per process."""
    if not authz.enabled():
        return
    sites = sorted({c for c in site_codes if isinstance(c, str)})
    keys = [_key("site", c) for c in sites] + [_key("recipient", c) for c in sorted(set(recipients))]
    keys += [_key("item", c) for c in sorted({c for c in item_codes if isinstance(c, str)})]
    authz.get_many(keys)


def invalidate(*_args: Any, **_kwargs: Any) -> None:
    authz.bump(GENERATION_KEY)


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    authz.read_together(GENERATION_KEY)
    for model in (Item, Site, Location):
        post_save.connect(invalidate, sender=model, dispatch_uid=f"lookups-save-{model._meta.label}")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"lookups-delete-{model._meta.label}")
