"""The navigation menu: modules shown to a user by their permissions."""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.translation import gettext_lazy as _

Entry = tuple[str, Any, str, str | None]

HOME: list[Entry] = [("home", _("Home"), "house", None)]

# The menu's few sections (it fits one row at 1366 px): each gathers the entries of some apps,
# under the app's name as a header when a section shows more than one app. An app not listed
# here gets a section of its own, after these.
SECTIONS: list[tuple[Any, str, list[str]]] = [
    (_("Supplies"), "box-seam", ["catalog", "inventory", "procurement"]),
    (_("Delivery"), "truck", ["distribution", "fleet"]),
    (_("People and health"), "heart-pulse", ["people"]),
    (_("Services"), "shop", ["pharmacy", "property"]),
    (_("Command"), "megaphone", ["reports", "command", "finance"]),
    (_("System"), "gear", ["orgs", "core"]),
]


def menu_groups() -> list[tuple[Any, str, list[tuple[Any, list[Entry]]]]]:
    """The menu: Home alone, then the sections, each a list of ``(app name, entries)``."""
    from django.apps import apps

    from baogong.registry import app_modules

    menus = {app: list(module.MENU) for app, module in app_modules("menu") if module.MENU}
    groups: list[tuple[Any, str, list[tuple[Any, list[Entry]]]]] = [(HOME[0][1], HOME[0][2], [("", list(HOME))])]
    placed: set[str] = set()
    for label, icon, app_labels in SECTIONS:
        parts = [(apps.get_app_config(a).verbose_name, menus[a]) for a in app_labels if a in menus]
        placed.update(app_labels)
        if parts:
            groups.append((label, icon, parts))
    for app, entries in menus.items():
        if app not in placed:
            groups.append((apps.get_app_config(app).verbose_name, entries[0][2], [("", entries)]))
    return groups


def menu_conditions() -> dict[str, Any]:
    """``VISIBLE`` of every app's menu module: url name → ``f(user) -> bool``, for entries that
    depend on more than a permission (the daily check-in needs a person record)."""
    from baogong.registry import app_modules

    conditions: dict[str, Any] = {}
    for _app, module in app_modules("menu"):
        conditions.update(getattr(module, "VISIBLE", {}))
    return conditions


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
    conditions = menu_conditions()
    for group_label, group_icon, parts in menu_groups():
        items: list[dict[str, Any]] = []
        headers = []
        for part_label, entries in parts:
            shown = []
            for name, label, icon, perm in entries:
                if perm and not user.has_perm(perm):
                    continue
                if name in conditions and not conditions[name](user):
                    continue
                url = _address(name, get_script_prefix())
                if url is None:
                    continue
                shown.append({"url": url, "label": label, "icon": icon, "active": False, "header": None})
            if shown:
                headers.append((part_label, shown))
        # a section showing more than one app heads each app's entries with the app's name
        for part_label, shown in headers:
            if len(headers) > 1 and part_label:
                shown[0]["header"] = part_label
            items.extend(shown)
        if items:
            groups.append({"label": group_label, "icon": group_icon, "items": items, "active": False})
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
