"""The navigation menu: modules shown to a user by their permissions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (url name, label, icon, permission or None). Apps add their entries as they land.
MENU: list[tuple[str, Any, str, str | None]] = [
    ("home", _("Dashboard"), "speedometer2", None),
    ("orgs:site_list", _("Sites"), "geo-alt", "orgs.view_site"),
    ("orgs:organisation_list", _("Organisations"), "diagram-3", "orgs.view_organisation"),
    ("core:audit_list", _("Audit log"), "journal-text", "core.view_auditevent"),
    ("core:job_list", _("Background jobs"), "hourglass-split", "core.view_job"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for name, label, icon, perm in MENU:
        if perm and not user.has_perm(perm):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append(
            {
                "url": url,
                "label": label,
                "icon": icon,
                "active": request.path.startswith(url) and url != "/" or request.path == url,
            }
        )
    return {"nav_items": items}
