"""The navigation menu: modules shown to a user by their permissions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

HOME: list[tuple[str, Any, str, str | None]] = [("home", _("Dashboard"), "speedometer2", None)]


def menu_items() -> list[tuple[str, Any, str, str | None]]:
    """Dashboard first, then each app's ``menu.py`` entries in app order, audit and jobs last."""
    from baogong.registry import app_modules

    core: list[tuple[str, Any, str, str | None]] = []
    items = list(HOME)
    for app, module in app_modules("menu"):
        (core if app == "core" else items).extend(module.MENU)
    return items + core


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for name, label, icon, perm in menu_items():
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
