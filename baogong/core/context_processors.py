"""The navigation menu: modules shown to a user by their permissions."""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.translation import gettext_lazy as _

HOME: list[tuple[str, Any, str, str | None]] = [("home", _("Dashboard"), "speedometer2", None)]


def menu_groups() -> list[tuple[Any, list[tuple[str, Any, str, str | None]]]]:
    """The menu in groups: the dashboard alone, then one group per app (labelled with the app's
    name), the core app's entries (audit log, jobs) last under "System"."""
    from django.apps import apps

    from baogong.registry import app_modules

    groups: list[tuple[Any, list[tuple[str, Any, str, str | None]]]] = [(HOME[0][1], list(HOME))]
    core: list[tuple[str, Any, str, str | None]] = []
    for app, module in app_modules("menu"):
        if app == "core":
            core.extend(module.MENU)
        elif module.MENU:
            groups.append((apps.get_app_config(app).verbose_name, list(module.MENU)))
    if core:
        groups.append((_("System"), core))
    return groups


@functools.lru_cache(maxsize=512)
def _address(name: str, prefix: str) -> str | None:
    """The menu entry's address (the URLconf does not change while the process runs)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav_groups`` for the navbar (a group of one entry is a plain link, a larger one a
    drop-down) and ``nav_items``, the same entries flat; only what the user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_groups": [], "unread_notifications": 0}
    groups = []
    flat = []
    for group_label, entries in menu_groups():
        items = []
        for name, label, icon, perm in entries:
            if perm and not user.has_perm(perm):
                continue
            url = _address(name, get_script_prefix())
            if url is None:
                continue
            items.append(
                {
                    "url": url,
                    "label": label,
                    "icon": icon,
                    "active": False,
                }
            )
        if items:
            groups.append({"label": group_label, "icon": items[0]["icon"], "items": items, "active": False})
            flat.extend(items)
    # The entry whose address is the longest prefix of the page's is the active one (/inventory/
    # and /inventory/expiry/ both prefix /inventory/expiry/?within=7: the second is meant).
    path = request.path
    matches = [i for i in flat if path == i["url"] or (i["url"] != "/" and path.startswith(i["url"]))]
    if matches:
        best = max(len(i["url"]) for i in matches)
        for item in matches:
            item["active"] = len(item["url"]) == best
        for group in groups:
            group["active"] = any(i["active"] for i in group["items"])
    from baogong.core.notify import unread_count

    return {"nav_items": flat, "nav_groups": groups, "unread_notifications": unread_count(user)}


def csp_nonce(request: HttpRequest) -> dict[str, str]:
    """``csp_nonce``: this response's script nonce (see ``ContentSecurityPolicyMiddleware``)."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
