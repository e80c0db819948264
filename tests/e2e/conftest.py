"""Playwright driving Debian's Chromium against the live test server."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
# axe-core comes from the npm registry (`.ci/run` installs it; the fixture below does when missing).
AXE_DIR = ROOT / "var" / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("BAOGONG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (.ci/run does)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for page in getattr(item, "_pages", []):
            ARTIFACTS.mkdir(exist_ok=True)
            try:
                page.screenshot(path=str(ARTIFACTS / f"{item.name}.png"), full_page=True)
            except Exception:  # noqa: BLE001 - a failed screenshot must not hide the failure
                pass


@pytest.fixture
def new_page(browser: Any, request: Any) -> Iterator[Any]:
    contexts = []

    def make(phone: bool = False, locale: str = "zh-CN", bypass_csp: bool = False) -> Any:
        # bypass_csp: for tests that inject their own scripts or styles (axe-core), which the
        # site's Content-Security-Policy rightly refuses
        context = browser.new_context(
            locale=locale,
            bypass_csp=bypass_csp,
            **(PHONE if phone else {"viewport": {"width": 1366, "height": 900}}),
        )
        contexts.append(context)
        page = context.new_page()
        request.node._pages = [*getattr(request.node, "_pages", []), page]
        return page

    yield make
    for context in contexts:
        context.close()


def login(page: Any, base_url: str, username: str, password: str = "baogong-demo") -> None:
    page.goto(base_url + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    # Wait for the next page's load event (its deferred scripts have run): a click right after the
    # first text appears could reach the menu before Bootstrap's handlers (flaky under load).
    with page.expect_navigation(wait_until="load"):
        page.click("button[type=submit]")


def shot(page: Any, journey: str, name: str) -> None:
    """One step of a journey for the user guide: ``docs/screenshots/<journey>/<name>.png``."""
    folder = SCREENSHOTS / journey
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def no_horizontal_scroll(page: Any) -> bool:
    width = page.evaluate("window.innerWidth")
    return bool(page.evaluate("document.documentElement.scrollWidth") <= width + 1)


@pytest.fixture(scope="session")
def axe_js() -> Path:
    """axe-core's ``axe.min.js``, installed from the npm registry the way ``.ci/run`` does when
    missing. Without it the accessibility tests fail (like a missing Chromium): a skipped check
    would let CI pass without proving anything."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("axe-core is not installed and npm is missing: run .ci/run, or install Node.js and npm")
        command = [npm, "install", "--prefix", str(AXE_DIR), "--no-save", "--no-audit", "--no-fund", "axe-core@4"]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=300)  # noqa: S603 - fixed arguments
        except (OSError, subprocess.SubprocessError) as exc:
            pytest.fail(f"axe-core could not be installed from the npm registry: {exc}")
        if not AXE_JS.exists():
            pytest.fail(f"npm ran but {AXE_JS} is missing")
    return AXE_JS
