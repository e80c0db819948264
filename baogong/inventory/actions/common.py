"""The ledger helpers the inventory actions share, under the names they have always had here."""

from __future__ import annotations

from baogong.core.audit import Actor
from baogong.core.scoping import require_scope, user_scope
from baogong.inventory import ledger
from baogong.inventory.choices import STOCK_KINDS
from baogong.inventory.ledger import common as ledger_common
from baogong.inventory.models import Location
from baogong.orgs.models import Site

# --- helpers (the ledger's; the private names are kept for this module and older callers) -------
today = ledger.today
_Leg = ledger_common._Leg
_actor_fields = ledger_common._actor_fields
_is_usable = ledger.is_usable
_lock_legs = ledger.lock_legs
_apply = ledger.apply_legs
_shortage = ledger.shortage
_line_errors = ledger.line_errors
_check_site_location = ledger.check_site_location
_org_of = ledger.org_of
_fefo_key = ledger.fefo_key
_candidates = ledger.candidates
_plan_fefo = ledger.plan_fefo
_move = ledger.move
_release_reservation = ledger.release


def _stock_locations(site: Site) -> list[Location]:
    return list(Location.objects.filter(site=site, kind__in=list(STOCK_KINDS), is_active=True))


# --- scope (invariant 5: a site outside the actor's scope is, for the actor, not there) ----------
def require_site_scope(actor: Actor, site: Site) -> None:
    """Refuse (``NotFound``) an action at a site the actor is not granted, directly or through its organisation."""
    require_scope(actor, organisation_id=site.organisation_id, site_id=site.pk)


def require_either_site_scope(actor: Actor, places: list[Location]) -> None:
    """Refuse unless the actor is granted the site of one of ``places`` (a move is seen from either end).

    Virtual locations (supplier, adjustment, loss) have no site and grant nothing.
    """
    scope = user_scope(actor)
    if scope.is_global:
        return
    sites = [place.site for place in places if place.site_id is not None]
    if not any(scope.allows(organisation_id=site.organisation_id, site_id=site.pk) for site in sites if site):
        require_scope(actor)  # nobody but a global actor passes this
