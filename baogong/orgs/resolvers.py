"""Sites named by their code, for serializers, forms and imports alike.

``scoped_site`` is for a site the user acts at (a warehouse): another organisation's site is a
404. ``site_by_code`` and ``sites_by_code`` find any site (a recipient, an order's delivery
site): whether the user may act there is the action's business."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from baogong.core.scoping import get_scoped_or_404
from baogong.orgs.models import Site

UNKNOWN_SITE = _("Unknown site code.")


def scoped_site(user: Any, code: str) -> Site:
    """The site with this code in the user's scope, else ``Http404``."""
    return get_scoped_or_404(Site.objects.all(), user, code=code)


def site_by_code(code: str) -> Site | None:
    return Site.objects.select_related("organisation").filter(code=code).first()


def sites_by_code(codes: Iterable[str]) -> dict[str, Site]:
    """The sites with these codes, by code; an unknown code is simply absent."""
    return {site.code: site for site in Site.objects.filter(code__in=set(codes))}
