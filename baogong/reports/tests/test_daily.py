"""The situation on a past day, from history: ``reports.daily`` and ``baogong report daily --format json``."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from baogong.catalog import actions as catalog_actions
from baogong.catalog.models import Category
from baogong.core.audit import SystemActor
from baogong.distribution import actions
from baogong.distribution.actions import LineInput
from baogong.distribution.errors import DispatchRefused
from baogong.fleet.tests.registered import registered_transport
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs import actions as org_actions
from baogong.orgs.models import Site
from baogong.reports.daily import situation

pytestmark = pytest.mark.django_db
SYSTEM = SystemActor("test")


@pytest.fixture
def day(base) -> dt.date:
    """Three days of a lockdown ending today: stock in on day 1, a request and a controlled
    warehouse with a refused load on day 2 (yesterday), today nothing new."""
    return timezone.localdate() - dt.timedelta(days=1)


@pytest.fixture
def history(day, user):
    commander = user("commander")
    txq, hospital = Site.objects.get(code="WH-TXQ"), Site.objects.get(code="FH-FCL")
    n95 = catalog_actions.create_item(
        {"code": "N95", "name": "医用防护口罩", "unit": "盒", "category": Category.objects.get(code="EPI-MASK")},
        actor=SYSTEM,
    )
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))
    with time_machine.travel(at - dt.timedelta(days=1), tick=False):
        inventory_actions.receive_stock(
            txq,
            [ReceiptLineInput(item=n95, batch="B1", qty=40, unit_cost=Decimal("2"), expiry=day + dt.timedelta(400))],
            actor=SYSTEM,
            qc_status="released",
        )
    with time_machine.travel(at, tick=False):
        request = actions.file_request(
            hospital, [LineInput(item=n95, qty=100, needed_by=day + dt.timedelta(2))], actor=SYSTEM, submit=True
        )
        actions.approve_request(request, actor=SYSTEM)
        actions.confirm_allocation(actions.preview_allocation([txq], actor=commander), actor=commander)
        shipment = actions.pick_shipment(actions.plan_shipments(actor=commander)[0], actor=commander)
    transport = registered_transport()
    with time_machine.travel(at + dt.timedelta(hours=5), tick=False):
        org_actions.set_site_status(txq, "under_control", reason="员工核酸阳性", actor=commander)
        with pytest.raises(DispatchRefused):
            actions.load_shipment(shipment, actor=commander, **transport)
    with time_machine.travel(at + dt.timedelta(hours=9), tick=False):
        org_actions.set_site_status(txq, "normal", actor=commander)  # lifted that evening
    return {"txq": txq, "hospital": hospital, "n95": n95}


def test_the_day_reads_what_was_true_then(history, day, user):
    # when
    then = situation(user("commander"), day)
    # then the warehouse counts for the day it was under control, though normal now
    assert [s.site.code for s in then.sites] == ["WH-TXQ"]
    assert then.sites[0].status == "under_control" and then.sites[0].reason == "员工核酸阳性"
    assert Site.objects.get(code="WH-TXQ").status == "normal"
    [hold] = then.holds
    assert hold.warehouse == history["txq"].name and hold.reasons and hold.stage
    tier = history["hospital"].priority_tier
    assert then.unmet_by_tier == {tier: 100}  # approved 100, nothing left the warehouse
    [cover] = then.cover
    assert (cover.code, cover.on_hand, cover.days) == ("N95", 40, round(40 / (100 / 7), 1))


def test_a_retried_refusal_is_one_held_dispatch(history, day, user, capsys):
    """Trying the same refused shipment again the same day (load, then load and dispatch later)
    is still one shipment held that day: ``held_dispatches`` counts shipments, not attempts."""
    from baogong.distribution.models import DispatchHold, Shipment
    from baogong.reports.daily import held_dispatches as held_figure
    from baogong.reports.figures import Period

    commander = user("commander")
    shipment = Shipment.objects.get(warehouse=history["txq"])
    transport = registered_transport("沪A54321", "王师傅")
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(20, 0)))  # after it was lifted at 18:00
    with time_machine.travel(at, tick=False):
        org_actions.set_site_status(history["txq"], "under_control", reason="复检阳性", actor=commander)
        for _ in range(2):
            with pytest.raises(DispatchRefused):
                actions.load_shipment(shipment, actor=commander, **transport)
    assert DispatchHold.objects.filter(shipment=shipment).count() == 3  # three refusals on record
    # when
    then = situation(commander, day)
    # then one hold, tried three times, with the reasons of each attempt
    [hold] = then.holds
    assert hold.attempts == 3 and hold.at.hour == 14
    assert then.as_json()["held_dispatches"] == 1
    assert held_figure(commander, Period(day, day)).value == 1
    # and the next day it is held again: a new day, a new hold
    with time_machine.travel(at + dt.timedelta(days=1), tick=False):
        with pytest.raises(DispatchRefused):
            actions.load_shipment(shipment, actor=commander, **transport)
    assert held_figure(commander, Period(day, day + dt.timedelta(days=1))).value == 2
    assert [h.attempts for h in situation(commander, day + dt.timedelta(days=1)).holds] == [1]


def test_the_day_before_knows_nothing_of_it(history, day, user):
    before = situation(user("commander"), day - dt.timedelta(days=1))
    assert (before.sites, before.holds, before.unmet_by_tier, before.cover) == ([], [], {}, [])


def test_the_day_after_still_owes_the_hospital(history, day, user):
    after = situation(user("commander"), day + dt.timedelta(days=1))
    assert after.sites == [] and after.holds == []
    assert sum(after.unmet_by_tier.values()) == 100


def test_a_scoped_user_sees_only_their_sites(history, day, user):
    # the warehouse keeper works at one warehouse: the hospital's request is not theirs
    keeper = situation(user("warehouse"), day)
    assert keeper.unmet_by_tier == {}


def test_json_contract(history, day, capsys):
    call_command("report", "daily", "--date", day.isoformat(), "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert {"date", "sites_under_control", "held_dispatches", "recalled_lots", "unmet_by_tier", "days_of_cover"} <= set(
        data
    )
    assert data["date"] == day.isoformat()
    assert data["sites_under_control"] == ["WH-TXQ"]
    assert data["held_dispatches"] == 1
    assert data["recalled_lots"] == []
    assert all(isinstance(k, str) and isinstance(v, int) for k, v in data["unmet_by_tier"].items())
    assert sum(data["unmet_by_tier"].values()) == 100
    assert data["days_of_cover"] == {"N95": round(40 / (100 / 7), 1)}


def test_bad_dates_answer_one_line_not_a_traceback():
    done = subprocess.run(
        [sys.executable, "-m", "baogong.cli", "report", "daily", "--date", "2022-13-45", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "YYYY-MM-DD" in done.stderr


def test_the_dashboard_opens_on_the_latest_day_with_data_and_reads_it_from_history(history, day, client_for):
    from django.urls import reverse

    client = client_for("commander")
    data = client.get(reverse("reports:dashboard_data")).json()
    assert data["date"] == day.isoformat()  # yesterday: nothing happened today
    status = {c["key"]: c for c in data["charts"]}["sites_by_status"]
    under_control = status["series"][0]["values"][status["labels"].index("管控")]
    assert under_control == 1  # the warehouse that day, though normal now
    today = client.get(reverse("reports:dashboard_data"), {"date": timezone.localdate().isoformat()}).json()
    status = {c["key"]: c for c in today["charts"]}["sites_by_status"]
    assert status["series"][0]["values"][status["labels"].index("管控")] == 0
    page = client.get("/").content.decode()
    assert f'value="{day.isoformat()}"' in page and f"?date={day.isoformat()}" in page


def test_a_bad_or_future_date_falls_back_without_an_error(history, day, client_for):
    from django.urls import reverse

    client = client_for("commander")
    for asked in ["2022-13-45", "x", (timezone.localdate() + dt.timedelta(days=30)).isoformat()]:
        answer = client.get(reverse("reports:dashboard_data"), {"date": asked})
        assert answer.status_code == 200
        assert answer.json()["date"] <= timezone.localdate().isoformat()


def test_the_summary_opens_on_the_period_with_data(history, day, client_for):
    from django.urls import reverse

    page = client_for("commander").get(reverse("reports:summary"))
    assert page.status_code == 200
    report = page.context["report"]
    assert (report.period.start, report.period.end) == (day, day)
