"""Searchable selects in Chromium (issue 22.4), at desktop and phone size, under the CSP: a long
list searches on the server as the user types (items on a purchase order), a short one filters
its own options (the warehouse); the chosen value is what the form sends."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from baogong.catalog import actions as catalog_actions
from baogong.core import lookups
from baogong.core.audit import SystemActor
from tests.e2e.conftest import ARTIFACTS, login, no_horizontal_scroll

pytestmark = pytest.mark.e2e


def shot(page: Any, name: str) -> None:
    """For a reviewer's eyes (test-artifacts/, not the guide)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"search-select-{name}.png"), full_page=False)


def _violations(page: Any) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: found.append(f"page error: {e}"))
    return found


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("phone", [False, True], ids=["1366", "390"])
def test_items_search_on_the_server_and_the_supplier_in_the_page(
    base: None, live_server: Any, new_page: Any, monkeypatch: Any, phone: bool
) -> None:
    # given more items than the threshold (lowered to 5 here; 100 in service)
    monkeypatch.setattr(lookups, "SERVER_SEARCH_OVER", 5)
    for n, name in enumerate(["大米", "食用油", "鸡蛋", "84消毒液", "酒精", "手套", "护目镜"]):
        catalog_actions.create_item(
            {"code": f"E2E-{n}", "name": name, "unit": "件", "reference_price": Decimal("1")}, actor=SystemActor("e2e")
        )
    item = catalog_actions.create_item(
        {"code": "E2E-N95", "name": "医用防护口罩", "unit": "盒", "reference_price": Decimal("2")},
        actor=SystemActor("e2e"),
    )
    page = new_page(phone=phone)
    violations = _violations(page)
    login(page, live_server.url, "procurement")
    page.goto(live_server.url + "/procurement/orders/new/")
    # the item select renders only the empty option and asks the server
    assert page.eval_on_selector("#id_lines-0-item", "s => s.options.length") == 1
    assert page.get_attribute("#id_lines-0-item", "data-lookup").startswith("/lookup/?t=")
    # when the user types part of the item's name and picks it
    page.click(".ts-control:has(#id_lines-0-item-ts-control)")
    page.keyboard.type("防护")
    option = page.locator(".ts-dropdown .option", has_text=item.name).first
    option.wait_for()
    shot(page, "item-" + ("phone" if phone else "desktop"))
    option.click()
    # then the form's select holds the item
    assert page.eval_on_selector("#id_lines-0-item", "s => s.value") == str(item.pk)
    # (a tap outside closes the list, as on a phone)
    page.click("h1")
    # and the warehouse (a short list, rendered) filters its own options
    value, text = page.eval_on_selector("#id_lines-0-warehouse", "s => [s.options[1].value, s.options[1].text]")
    page.click(".ts-control:has(#id_lines-0-warehouse-ts-control)")
    page.keyboard.type(text[:3])
    choice = page.locator(".ts-dropdown .option", has_text=text).first
    choice.wait_for()
    choice.click()
    assert page.eval_on_selector("#id_lines-0-warehouse", "s => s.value") == value
    shot(page, "chosen-" + ("phone" if phone else "desktop"))
    assert no_horizontal_scroll(page)
    assert violations == []
