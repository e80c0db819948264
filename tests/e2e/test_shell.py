from pathlib import Path

import pytest

from tests.e2e.conftest import login

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.mark.django_db(transaction=True)
def test_commander_logs_in_and_sees_the_chinese_dashboard(base, live_server, new_page):
    page = new_page()
    login(page, live_server.url, "commander")
    page.wait_for_selector("h1:has-text('指挥中心看板')")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    body = page.inner_text("body")
    for name in ("北翼集团", "医药公司", "储运公司", "泰兴桥大仓", "凤凰加油站", "富长路方舱医院"):
        assert name in body
    page.wait_for_function("document.querySelector('#chart-kinds canvas') !== null")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_phone_layout_has_a_collapsed_menu_that_opens(base, live_server, new_page):
    page = new_page(phone=True)
    login(page, live_server.url, "warehouse")
    page.wait_for_selector("h1:has-text('我的工作')")
    toggler = page.locator(".navbar-toggler")
    assert toggler.is_visible()
    assert not page.locator("#mainnav a:has-text('系统')").is_visible()
    toggler.click()
    page.locator("#mainnav a.dropdown-toggle:has-text('系统')").click()
    page.locator("#mainnav a.dropdown-item:has-text('场所')").click()
    page.wait_for_selector("text=泰兴桥大仓")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1
