"""The content security policy: no inline script runs without this response's nonce, no eval, no
inline event handlers, no inline style; every page the demo roles open keeps to it, and no policy the
application sends has an unsafe source."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

ROLES = ["commander", "warehouse", "pharmacist", "tenant", "driver", "fuel"]
# Pages anyone may open (their scripts are checked too).
PUBLIC_PAGES = ["/login/", "/pharmacy/order/"]
# Script types a browser does not run (data blocks such as json_script's).
DATA_TYPES = {"application/json", "application/ld+json"}


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict[str, str]] = []
        self.handlers: list[str] = []
        self.javascript_urls: list[str] = []
        self.style_elements = 0
        self.style_attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "script":
            self.scripts.append(attributes)
        if tag == "style":
            self.style_elements += 1
        if "style" in attributes:
            self.style_attributes.append(f"<{tag} style={attributes['style']!r}>")
        for name, value in attributes.items():
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            if name.startswith("hx-on"):
                self.handlers.append(f"<{tag} {name}> (htmx would need eval)")
            if name in {"href", "src", "action", "formaction"} and value.strip().lower().startswith("javascript:"):
                self.javascript_urls.append(f"<{tag} {name}={value!r}>")


def directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_keeps_policy(response: Any, path: str) -> None:
    policy = response["Content-Security-Policy"]
    script_src = directives(policy)["script-src"]
    assert "'unsafe-inline'" not in script_src, path
    assert "'unsafe-eval'" not in script_src, path
    nonces = [w[len("'nonce-") : -1] for w in script_src if w.startswith("'nonce-")]
    assert len(nonces) == 1, policy
    scan = _Scan()
    scan.feed(response.content.decode())
    for script in scan.scripts:
        if script.get("type", "").lower() in DATA_TYPES:
            continue
        assert script.get("src") or script.get("nonce") == nonces[0], (path, script)
    assert scan.handlers == [], (path, scan.handlers)
    assert scan.javascript_urls == [], (path, scan.javascript_urls)
    assert scan.style_elements == 0, (path, "a <style> element needs 'unsafe-inline' in style-src")
    assert scan.style_attributes == [], (path, "a style attribute needs 'unsafe-inline' in style-src-attr")
    assert "unsafe" not in policy, (path, policy)


def test_the_policy_of_a_page_allows_no_inline_script_and_no_eval(client: Client, base: None) -> None:
    # given / when
    first = client.get("/login/")
    second = client.get("/login/")
    # then
    policy = directives(first["Content-Security-Policy"])
    assert policy["script-src"][0] == "'self'"
    assert re.fullmatch(r"'nonce-[A-Za-z0-9_-]{24}'", policy["script-src"][1])
    assert len(policy["script-src"]) == 2
    assert policy["style-src"] == ["'self'"]
    assert "style-src-attr" not in policy, "style attributes fall under style-src: refused"
    assert "unsafe" not in first["Content-Security-Policy"]
    assert policy["object-src"] == ["'none'"]
    assert first["Content-Security-Policy"] != second["Content-Security-Policy"], "a fresh nonce per response"


def test_the_nonce_is_the_one_in_the_template_context(client: Client, base: None) -> None:
    response = client.get("/login/")
    assert f"'nonce-{response.context['csp_nonce']}'" in response["Content-Security-Policy"]
    assert response.wsgi_request.csp_nonce == response.context["csp_nonce"]  # type: ignore[attr-defined]


def test_the_api_docs_page_has_its_own_policy_and_no_inline_script(client: Client) -> None:
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert "unsafe" not in response["Content-Security-Policy"]
    scan = _Scan()
    scan.feed(response.content.decode())
    assert scan.style_elements == 0 and scan.style_attributes == []
    assert scan.scripts, "Swagger UI loads its scripts"
    assert all(s.get("src") for s in scan.scripts), scan.scripts
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_keep_the_policy(client: Client, base: None, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert_keeps_policy(response, path)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_keeps_the_policy(client_for: Any, role: str) -> None:
    """The home page and every page of the role's menu: scripts carry the nonce or come from a
    file, and no element has an on…= handler or a javascript: address."""
    client = client_for(role)
    home = client.get("/")
    assert home.status_code == 200
    assert_keeps_policy(home, "/")
    paths = [item["url"] for item in home.context["nav_items"]]
    assert paths, role
    for path in paths:
        response = client.get(path)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        assert_keeps_policy(response, path)


def test_no_page_template_has_an_inline_style() -> None:
    """A style="…" attribute or a <style> element in a template would be refused by the policy (the
    pages above are only those the demo roles' menus reach). PDF templates are exempt: WeasyPrint
    renders them and no browser applies a policy to them."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "baogong"
    offenders = []
    for template in root.glob("*/templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        if template.name == "pdf_base.html" or 'extends "core/pdf_base.html"' in text:
            continue
        scan = _Scan()
        text = re.sub(r"{% comment %}.*?{% endcomment %}|{#.*?#}", "", text, flags=re.S)
        scan.feed(re.sub(r"{%.*?%}|{{.*?}}", "x", text, flags=re.S))
        if scan.style_elements or scan.style_attributes:
            offenders.append(f"{template.relative_to(root)}: {scan.style_attributes or '<style>'}")
    assert offenders == []
