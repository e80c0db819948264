"""The authorization matrix, generated from the URL configuration and the API router, so no
page or endpoint can be missed as apps add them.

- anonymous: every page redirects to the login form (or is an explicit public page);
  every API operation answers 401 with the error body;
- every role: every page without parameters answers 200, 403 or 405 — never a crash;
- every role × every API list: 200 or 403; another organisation's record: 404 on the API detail.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from baogong.core.scoping import scoped
from baogong.registry import collect

pytestmark = pytest.mark.security

ROLES = [
    "commander",
    "warehouse",
    "procurement",
    "qc",
    "dispatcher",
    "driver",
    "pharmacist",
    "health",
    "property",
    "auditor",
    "tenant",
]
# Pages anyone may open: the login form, health check, API schema/docs, language switch, and
# no-login links that carry their own unguessable token (they answer 404 for a wrong token).
PUBLIC_PREFIXES: tuple[str, ...] = (
    "/login/",
    "/logout/",
    "/healthz",
    "/api/v1/openapi.json",
    "/api/v1/docs/",
    "/i18n/",
)
PUBLIC_PREFIXES += ("/r/", "/d/", "/pharmacy/o/", "/pharmacy/order/")
# The offline field kit: the service worker and manifest (a phone fetches them before any login)
# and the page shown offline for a page the phone never kept.
PUBLIC_PREFIXES += ("/sw.js", "/manifest.webmanifest", "/field/offline/")
PUBLIC_WORDS = ("/public/",)


def walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, URLPattern]]:
    out: list[tuple[str, URLPattern]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            out.extend(walk(p.url_patterns, prefix + str(p.pattern)))
        elif isinstance(p, URLPattern):
            out.append((prefix + str(p.pattern), p))
    return out


def concrete(route: str) -> str | None:
    """A request path for a route pattern: parameters get a value no record has."""
    if route.startswith(("admin/", "^")) or "(?P" in route or "format" in route:
        return None
    path = "/" + route
    path = re.sub(r"<uuid:[^>]+>", "00000000-0000-0000-0000-000000000000", path)
    path = re.sub(r"<int:[^>]+>", "987654321", path)
    path = re.sub(r"<(?:str|slug|path):[^>]+>|<[^>:]+>", "zz-no-such-thing", path)
    return path.replace("\\", "")


def page_routes() -> list[str]:
    paths = set()
    for route, _pattern in walk(get_resolver().url_patterns):
        if route.startswith("api/"):
            continue
        path = concrete(route)
        if path:
            paths.add(path)
    return sorted(paths)


def is_public(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES) or any(w in path for w in PUBLIC_WORDS)


def test_no_login_links_reach_only_their_own_object(client, base):
    """A made-up token or order number opens nothing."""
    assert client.get("/r/zz-no-such-thing/").status_code == 404
    assert client.get("/d/zz-no-such-thing/").status_code == 404
    response = client.get("/pharmacy/o/zz-no-such-thing/?code=123456")
    assert response.status_code == 404


@pytest.mark.parametrize("path", page_routes())
def test_anonymous_pages_redirect_to_login(client, base, path):
    response = client.get(path)
    if is_public(path):
        assert response.status_code in (200, 302, 404, 405), path
        return
    if response.status_code == 405:  # POST-only endpoint: refuses the method before anything else
        return
    assert response.status_code == 302, (path, response.status_code)
    assert response["Location"].startswith("/login/"), (path, response["Location"])


def test_every_role_can_open_or_is_refused_every_page(client_for):
    problems = []
    for username in ROLES:
        client = client_for(username)
        for path in page_routes():
            if "987654321" in path or "zz-no-such-thing" in path or "00000000-" in path:
                continue
            if path.startswith(("/logout/", "/i18n/")):
                continue
            status = client.get(path).status_code
            if status not in (200, 302, 403, 404, 405):
                problems.append((username, path, status))
    assert problems == []


def api_list_paths() -> list[str]:
    return [f"/api/v1/{prefix}/" for prefix, _viewset, _basename in collect("api", "routes")]


@pytest.mark.parametrize("path", api_list_paths())
def test_api_without_token_answers_401(client, base, path):
    response = client.get(path)
    assert response.status_code == 401, path
    assert set(response.json()) == {"code", "message", "details"}


def test_api_schema_operations_without_token_answer_401(client, base):
    schema = client.get("/api/v1/openapi.json").json()
    failures = []
    for template, item in schema["paths"].items():
        path = re.sub(r"\{[^}]+\}", "1", template)
        for method in ("get", "post", "put", "patch", "delete"):
            if method not in item:
                continue
            if method == "get":
                response = client.get(path)
            else:
                response = getattr(client, method)(path, data="{}", content_type="application/json")
            if response.status_code != 401:
                failures.append((method.upper(), template, response.status_code))
    assert failures == []


def test_every_role_lists_every_api_resource_or_is_refused(api_for):
    problems = []
    for username in ROLES:
        api = api_for(username)
        for path in api_list_paths():
            status = api.get(path).status_code
            if status not in (200, 403):
                problems.append((username, path, status))
    assert problems == []


def test_another_organisations_record_is_404_on_every_api_detail(api_for, user):
    checked = 0
    for prefix, viewset, _basename in collect("api", "routes"):
        queryset = getattr(viewset, "queryset", None)
        if queryset is None or not hasattr(viewset, "retrieve"):
            continue
        model = queryset.model
        if not (getattr(model, "scope_org_field", None) or getattr(model, "scope_site_field", None)):
            continue
        for username in ("warehouse", "pharmacist", "dispatcher"):
            outside = model.objects.exclude(pk__in=scoped(model.objects.all(), user(username)).values("pk")).first()
            if outside is None:
                continue
            response = api_for(username).get(f"/api/v1/{prefix}/{outside.pk}/")
            assert response.status_code in (403, 404), (username, prefix, response.status_code)
            if response.status_code == 404:
                checked += 1
    assert checked >= 1
