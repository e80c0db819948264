"""The crawl of issue 22.5: every demo account, at desktop (1366×900) and phone (390×844) size,
opens its home page and every menu link. No page answers 4xx/5xx, shows a Python repr, shows
untranslated English on a Chinese page, scrolls sideways or has anything refused by the content
security policy (no inline style or script); every link on the home page opens.
Screenshots of each role's home go to docs/screenshots/home-<role>-desktop.png / -phone.png.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from baogong.demo.actions import DEMO_ACCOUNTS
from tests.e2e.conftest import SCREENSHOTS, login

# Visible text nodes (not in scripts, styles, code, form fields or options, nor what the page marks
# translate="no": recorded data such as audit values and user names), trimmed.
VISIBLE_TEXTS = """() => {
  const skip = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "CODE", "PRE", "KBD", "SAMP", "TEXTAREA", "OPTION", "SELECT", "svg"]);
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    if (!text) continue;
    let el = node.parentElement, hidden = false;
    for (let e = el; e; e = e.parentElement) {
      if (skip.has(e.tagName) || e.classList.contains("visually-hidden") || e.getAttribute("translate") === "no") { hidden = true; break; }
    }
    if (hidden || !el || !el.getClientRects().length) continue;
    out.push(text);
  }
  return out;
}"""

MENU_LINKS = """() => Array.from(document.querySelectorAll('#mainnav a[href]'))
  .map(a => a.getAttribute('href')).filter(h => h && h.startsWith('/'))"""

HOME_LINKS = """() => Array.from(document.querySelectorAll('main a[href]'))
  .map(a => a.getAttribute('href')).filter(h => h && h.startsWith('/'))"""

OVERFLOW = "() => document.scrollingElement.scrollWidth - window.innerWidth"

# Python reprs that must never reach a page, and float noise from a sum the database did in
# floating point (SQLite's SUM of decimals: 631.200000000000).
REPR = re.compile(r"\{'|\bNone\b|\bTrue\b|\bFalse\b|\d\.\d{8,}")
# A text node of Latin words only (letters, digits, spaces, punctuation) with a lower-case word of
# two or more letters: English prose. Codes (WH-TXQ, PO-20261206-0001) have no lower-case words.
ENGLISH = re.compile(r"^[A-Za-z0-9 .,:;!?'\"()\[\]/&%+×·\-–—_#@]*[a-z]{2,}[A-Za-z0-9 .,:;!?'\"()\[\]/&%+×·\-–—_#@]*$")
# Words that stay in Latin letters on a Chinese page: units, file formats, brands and codes.
ALLOWED_ENGLISH = {
    "kg",
    "km",
    "ml",
    "pdf",
    "excel",
    "xlsx",
    "csv",
    "api",
    "email",
    "e-mail",
    "n95",
    "kn95",
    "id",
    "qr",
    "otc",
    "sku",
    "eta",
    "gps",
    "sms",
    "wifi",
    "english",  # the language switcher's own name for English
    "markdown",  # a download format on the reports
    "bootstrap",  # the system actor of `baogong bootstrap`, named so in the audit log
    *DEMO_ACCOUNTS,  # user names are data (the audit log shows accounts created by name)
}


def _english(text: str) -> bool:
    if not ENGLISH.match(text):
        return False
    words = [w for w in re.split(r"[^A-Za-z0-9-]+", text.lower()) if w]
    return any(w not in ALLOWED_ENGLISH and re.search(r"[a-z]{2,}", w) for w in words)


def _check_page(page: Any, url: str, where: str, problems: list[str]) -> None:
    response = page.goto(url, wait_until="load")
    status = response.status if response else 0
    if status >= 400:
        problems.append(f"{where} {url}: HTTP {status}")
        return
    texts = page.evaluate(VISIBLE_TEXTS)
    for text in texts:
        if REPR.search(text):
            problems.append(f"{where} {url}: Python repr in {text[:80]!r}")
        elif _english(text):
            problems.append(f"{where} {url}: English {text[:80]!r}")
    overflow = page.evaluate(OVERFLOW)
    if overflow > 1:
        problems.append(f"{where} {url}: {overflow}px horizontal overflow")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_role_crawls_clean(base, live_server, new_page, size):
    problems: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for username in DEMO_ACCOUNTS:
        page = new_page(phone=size == "phone")
        where = f"{username}/{size}"
        page.on(
            "console",
            lambda message, where=where: (
                problems.append(f"{where} {page.url}: {message.text[:160]}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        login(page, live_server.url, username)
        page.wait_for_selector("main h1")
        page.screenshot(path=str(SCREENSHOTS / f"home-{username}-{size}.png"), full_page=True)
        home_links = sorted(set(page.evaluate(HOME_LINKS)))
        menu_links = sorted(set(page.evaluate(MENU_LINKS)))
        _check_page(page, live_server.url + "/", where, problems)
        # every link on the home page opens (status only: the pages are crawled from the menu)
        for href in home_links:
            status = page.request.get(live_server.url + href).status
            if status >= 400:
                problems.append(f"{where} home link {href}: HTTP {status}")
        for href in menu_links:
            if href != "/":
                _check_page(page, live_server.url + href, where, problems)
    assert problems == [], "\n".join(problems)
