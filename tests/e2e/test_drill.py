"""A drill in the browser: the command centre opens 应急推演 from the menu, locks 泰兴桥 down for three
days, watches the progress bar while the worker runs it, and reads the result beside the baseline:
the hospital next to 泰兴桥 is supplied from 医药公司 instead, the street office goes short. The
warehouse stays normal. The auditor may read the drill but not run one."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from baogong.command.models import Drill
from baogong.command.tests.drill_network import build_network
from baogong.orgs.models import Site
from tests.e2e.conftest import login, no_horizontal_scroll, shot

JOURNEY = "drill"


@pytest.mark.django_db(transaction=True)
def test_commander_runs_a_lockdown_drill_and_the_auditor_reads_it(base, live_server, new_page):
    network = build_network()
    page = new_page()
    page.set_default_timeout(30_000)  # the shared machine is slow; no timing is asserted
    login(page, live_server.url, "commander")
    # the drill is in the command centre's menu
    page.goto(f"{live_server.url}/command/drills/")
    assert page.locator("nav a[href='/command/drills/']").count() >= 1
    page.click("text=新建推演")
    page.wait_for_url(re.compile(r"/command/drills/new/$"))
    page.fill("#id_from", network["start"].isoformat())
    page.fill("#id_days", "3")
    page.select_option("#id_lockdown", ["WH-TXQ"])
    page.fill("#id_title", "泰兴桥封控三天")
    shot(page, JOURNEY, "1-drill-form")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/command/drills/\d+/$"))
    page.wait_for_selector("[role=progressbar]")
    shot(page, JOURNEY, "2-drill-running")
    # the worker runs it; the page polls and shows the result
    call_command("worker", "--batch", "--no-schedule")
    page.wait_for_selector("#drill-summary")
    drill = Drill.objects.get()
    assert drill.status == "done"
    summary = page.inner_text("#drill-summary")
    assert "满足率（第 3 级）" in summary and "60.0%" in summary and "0.0%" in summary
    moved = page.inner_text("#drill-moved")
    assert "FH-FCL" in moved and "WH-TXQ" in moved and "WH-YY" in moved
    assert "SO-310113007" in page.inner_text("#drill-unmet")
    shot(page, JOURNEY, "3-drill-result")
    assert Site.objects.get(code="WH-TXQ").status == "normal"
    # the Excel download
    with page.expect_download() as download:
        page.click("text=Excel")
    assert download.value.suggested_filename.endswith(".xlsx")
    # on a phone the result fits the screen
    phone = new_page(phone=True)
    login(phone, live_server.url, "auditor")
    phone.goto(f"{live_server.url}/command/drills/{drill.pk}/")
    phone.wait_for_selector("#drill-summary")
    assert no_horizontal_scroll(phone)
    # the auditor may read it but not run one
    assert phone.goto(f"{live_server.url}/command/drills/new/").status == 403
