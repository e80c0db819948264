"""In a real browser the content security policy blocks nothing the pages need: charts draw,
the language switch and status filters send their forms, the API docs render."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import login

CHART_PAGES = [
    ("/", "#chart-kinds canvas"),
    ("/distribution/value/", "#chart-days canvas"),
    ("/people/dashboard/", "#by-type-chart canvas"),
    ("/property/progress/", "#chart-week canvas"),
]


def watch_for_violations(page: Any) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.on("pageerror", lambda error: violations.append(f"page error: {error}"))
    return violations


@pytest.mark.django_db(transaction=True)
def test_chart_pages_draw_under_the_policy(base: None, live_server: Any, new_page: Any) -> None:
    page = new_page()
    violations = watch_for_violations(page)
    login(page, live_server.url, "commander")
    page.wait_for_selector("h1:has-text('指挥中心看板')")
    for path, canvas in CHART_PAGES:
        page.goto(live_server.url + path)
        page.wait_for_selector(canvas)
        # tooltips are drawn on the canvas (renderMode "richText"): no inline style to refuse
        page.hover(canvas)
    assert violations == []


@pytest.mark.django_db(transaction=True)
def test_the_language_switch_and_filters_work_without_inline_handlers(
    base: None, live_server: Any, new_page: Any
) -> None:
    page = new_page()
    violations = watch_for_violations(page)
    login(page, live_server.url, "commander")
    page.wait_for_selector("h1:has-text('指挥中心看板')")
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("html[lang=en]")
    page.goto(live_server.url + "/inventory/transfers/")
    page.select_option("#f-status", index=1)
    page.wait_for_url("**/inventory/transfers/?status=*")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("html[lang=zh-hans]")
    assert violations == []


@pytest.mark.django_db(transaction=True)
def test_the_api_docs_render_under_their_policy(base: None, live_server: Any, new_page: Any) -> None:
    page = new_page()
    violations = watch_for_violations(page)
    page.goto(live_server.url + "/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30000)
    assert violations == []
