"""Extension points that let each app plug in without editing shared files.

An app may define, in its own modules:
- ``api.py`` with ``routes = [(prefix, ViewSet, basename), ...]`` — registered under ``/api/v1/``;
  and optionally ``api_urlpatterns = [path(...), ...]`` for plain API views (mounted at ``/api/v1/``);
- ``urls.py`` with ``app_name`` and ``urlpatterns`` — included at the site root;
- ``menu.py`` with ``MENU = [(url_name, label, icon, permission_or_None), ...]`` for the navigation;
- ``roles.py``'s ``ROLE_PERMISSIONS`` (in ``orgs``) gets each app's ``permissions.py``
  ``ROLE_PERMISSIONS = {role_code: ["app.codename", ...]}`` merged in;
- ``schedule.py`` with ``DAILY_JOBS = [baogong.core.schedule.DailyJob(name, func, at), ...]`` — run once a
  day each by ``baogong worker`` and ``baogong run-scheduled`` (``collect("schedule", "DAILY_JOBS")``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any

APPS = [
    "core",
    "orgs",
    "catalog",
    "inventory",
    "procurement",
    "distribution",
    "fleet",
    "pharmacy",
    "people",
    "property",
    "finance",
    "command",
    "reports",
    "demo",
]


def app_modules(name: str) -> Iterator[tuple[str, ModuleType]]:
    for app in APPS:
        try:
            module = importlib.import_module(f"baogong.{app}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"baogong.{app}.{name}":
                continue
            raise
        yield app, module


def collect(name: str, attribute: str) -> list[Any]:
    items: list[Any] = []
    for _app, module in app_modules(name):
        items.extend(getattr(module, attribute, []))
    return items
