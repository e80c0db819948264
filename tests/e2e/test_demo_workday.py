"""Issue 22.2 from outside: on the data `baogong bootstrap` loads, every demo account logs in,
finds work waiting on its home page (a card with a count, or the command centre's list), follows
it and does one real step of that work in the browser. One browser, one live server; the state
is checked in the database after each step."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from baogong.core.models import AuditEvent
from baogong.demo.actions import DEMO_ACCOUNTS
from tests.e2e.conftest import login
from tests.e2e.test_crawl import _check_page


def card(page: Any, key: str) -> Any:
    """The home card ``key``, asserting that it counts work waiting."""
    section = page.locator(f"#card-{key}")
    count = int(section.locator("[data-count]").get_attribute("data-count") or 0)
    assert count > 0, f"{key}: nothing waiting"
    return section


def follow_first_row(page: Any, key: str) -> None:
    with page.expect_navigation(wait_until="load"):
        card(page, key).locator("li a").first.click()


def done(page: Any) -> None:
    # the server's message, not a field page's own "recorded on this phone" note (#…-recorded),
    # which shows while the phone's queue is still sending
    page.wait_for_selector(".alert-success:visible:not([id$='-recorded'])")


def keeper(page: Any) -> None:
    # a receipt waits in the main store: its "put away" button opens the prefilled transfer
    with page.expect_navigation(wait_until="load"):
        card(page, "put_away").locator("a.btn", has_text="上架").first.click()
    assert page.input_value("#id_from_location") == "MAIN"
    page.fill("#id_to_location", "B-01")
    page.click("#form-submit")
    done(page)


def dispatcher(page: Any) -> None:
    # a picked shipment waits to be loaded: the second truck and its driver, then sent
    follow_first_row(page, "to_load")
    form = page.locator("#load-form")
    for name, text in (("vehicle_id", "沪B60002"), ("driver_id", "韩永平")):
        select = form.locator(f"[name={name}]")
        value = select.locator("option", has_text=text).first.get_attribute("value")
        select.select_option(value)
    form.locator("button").click()
    done(page)
    page.click("form button:has-text('发车')")
    done(page)
    assert "在途" in page.inner_text("main")


def driver(page: Any) -> None:
    # the daily check-in first (the account is a person) ...
    with page.expect_navigation(wait_until="load"):
        page.locator("#card-check_in a", has_text="立即打卡").click()
    page.fill("[name=temperature]", "36.5")
    page.click("form:has(input[name=form][value=check]) button")
    done(page)
    page.goto(page.url.split("/people/")[0] + "/")
    # ... then today's first stop: the proof-of-delivery page, everything received
    with page.expect_navigation(wait_until="load"):
        card(page, "my_stops").locator("a", has_text="收货确认").first.click()
    page.fill("[name=received_by]", "仓库收货员")
    page.fill("[name=receiver_phone]", "13800000000")
    page.click("#pod-submit")
    page.wait_for_selector("#pod-sent:not(.d-none)")  # sent through the phone's queue (issue 23)
    page.reload()
    page.wait_for_selector("text=仓库收货员")


def pharmacist(page: Any) -> None:
    follow_first_row(page, "orders_to_review")
    page.click("form[action$='/approve/'] button")
    done(page)


def qc(page: Any) -> None:
    follow_first_row(page, "lots_to_inspect")
    page.check("[name=has_inspection_report]")
    page.select_option("[name=sample_result]", "pass")
    page.select_option("[name=decision]", "release")
    page.click("main form button[type=submit]")
    done(page)


def health(page: Any) -> None:
    # someone on duty owes a test: record today's negative antigen result on their page
    follow_first_row(page, "overdue_tests")
    form = page.locator("form[action$='/tests/']")
    form.locator("[name=kind]").select_option("antigen")
    form.locator("[name=result]").select_option("negative")
    form.locator("button").click()
    done(page)


def property_officer(page: Any) -> None:
    follow_first_row(page, "applications_submitted")
    page.click("form[action$='/handle/'] button")
    done(page)


def tenant(page: Any) -> None:
    # the shop's rent-relief application, submitted, waits for the property office
    follow_first_row(page, "my_applications")
    assert "RR" in page.inner_text("main h1") and "已提交" in page.inner_text("main")


def fuel(page: Any) -> None:
    # the first vehicle in the queue (a supply truck, green channel) is served
    queue = next(k for k in page.eval_on_selector_all("[id^=card-queue_]", "els => els.map(e => e.id)"))
    follow_first_row(page, queue.removeprefix("card-"))
    form = page.locator("form[action$='/sale/']")
    form.locator("[name=ticket]").select_option(index=1)
    form.locator("[name=tank]").select_option(index=1)
    form.locator("[name=plate]").fill("沪B60002")
    form.locator("[name=litres]").fill("120")
    form.locator("[name=unit_price]").fill("8.31")
    form.locator("button").click()
    done(page)


def procurement(page: Any) -> None:
    # a requisition waits to be placed: submit it
    follow_first_row(page, "orders_to_place")
    page.click("form[action$='/submit/'] button")
    done(page)


def auditor(page: Any) -> None:
    # the latest changes (a list without a count) open the audit log
    latest = page.locator("#card-recent_audit li a")
    assert latest.count() > 0
    with page.expect_navigation(wait_until="load"):
        latest.first.click()
    assert page.locator("main table tbody tr").count() > 0


def commander(page: Any) -> None:
    # a request waits for the command centre's approval
    follow_first_row(page, "requests_to_approve")
    page.click("form[action$='/approve/'] button")
    done(page)


# account → its step and the audit verb the step records (the receiver signs the delivery, not the
# driver's account: the proof-of-delivery page is the recipient's)
STEPS: dict[str, tuple[Callable[[Any], None], str]] = {
    "commander": (commander, "approve_request"),
    "warehouse": (keeper, "transfer_stock"),
    "procurement": (procurement, "submit_order"),
    "qc": (qc, "inspect_lot"),
    "dispatcher": (dispatcher, "dispatch_shipment"),
    "driver": (driver, "record_delivery"),
    "fuel": (fuel, "sell_fuel"),
    "pharmacist": (pharmacist, "approve_order"),
    "health": (health, "record_health_test"),
    "tenant": (tenant, ""),
    "property": (property_officer, "handle_application"),
    "auditor": (auditor, ""),
}


def run_steps(page: Any, url: str, check: Callable[[str, str], None] = lambda username, verb: None) -> None:
    problems: list[str] = []
    for username, (step, verb) in STEPS.items():
        page.context.clear_cookies()
        login(page, url, username)
        # the home on real data: no Python repr, no English, no sideways scrolling
        _check_page(page, url + "/", username, problems)
        step(page)
        check(username, verb)
    assert problems == [], "\n".join(problems)


@pytest.mark.django_db(transaction=True)
def test_every_demo_account_finds_work_and_does_it(base, live_server, new_page):
    assert set(STEPS) == set(DEMO_ACCOUNTS)
    call_command("bootstrap", stdout=io.StringIO())
    started = timezone.now()
    page = new_page()

    def by_the_account(username: str, verb: str) -> None:
        events = AuditEvent.objects.filter(verb=verb, at__gte=started)
        if username == "driver":
            assert events.filter(actor__isnull=True, actor_label="receiver:仓库收货员").count() == 1
            checked_in = AuditEvent.objects.filter(
                verb="record_health_check", actor__username=username, at__gte=started
            )
            assert checked_in.count() == 1
        elif verb:
            assert events.filter(actor__username=username).count() == 1, (username, verb)

    run_steps(page, live_server.url, by_the_account)
