"""Daily expiry alerts: once per lot and band (30 days, 7 days, expired), per site, audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from baogong.core.models import AuditEvent, Notification
from baogong.core.schedule import daily_jobs, run_due
from baogong.inventory import actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.inventory.models import Lot
from baogong.orgs.models import Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    """Today: receipts and issues check expiry against the real clock, so the alert day is today."""
    return timezone.localdate()


def receive(site, item, batch, expiry, qty, system):
    actions.receive_stock(
        site,
        [ReceiptLineInput(item=item, batch=batch, qty=qty, unit_cost=Decimal("2"), expiry=expiry)],
        actor=system,
    )


def alerts_for(site):
    return list(Notification.objects.filter(site_id=site.pk).order_by("pk"))


def test_each_lot_is_alerted_once_per_band_at_each_site_that_holds_it(txq, wh_yy, n95, water, system, day):
    # given lots 20 days, 5 days and 200 days from expiry on day, one of them at two warehouses
    receive(txq, n95, "N-20", day + dt.timedelta(days=20), 10, system)
    receive(wh_yy, n95, "N-20", day + dt.timedelta(days=20), 4, system)
    receive(txq, water, "W-5", day + dt.timedelta(days=5), 30, system)
    receive(txq, water, "W-200", day + dt.timedelta(days=200), 30, system)

    # when the daily alert runs on day
    sent = actions.send_expiry_alerts(day, actor=system)

    # then each warehouse is told of its own lots, with the band and quantity, and nothing of W-200
    by_site = {s["site"]: {(lot["batch"], lot["band"], lot["qty"]) for lot in s["lots"]} for s in sent}
    assert by_site == {"WH-TXQ": {("N-20", 30, 10), ("W-5", 7, 30)}, "WH-YY": {("N-20", 30, 4)}}
    [note] = alerts_for(txq)
    assert note.level == Notification.Level.WARNING
    assert "N-20" in note.body and "W-5" in note.body and "W-200" not in note.body
    assert note.link == "/inventory/expiry/?warehouse=WH-TXQ"
    assert AuditEvent.objects.filter(verb="send_expiry_alerts").count() == 2
    assert Lot.objects.get(batch="W-200").expiry_alerted_days is None

    # when it runs again the next day, nothing new has entered a band: nothing is said
    assert actions.send_expiry_alerts(day + dt.timedelta(days=1), actor=system) == []
    assert len(alerts_for(txq)) == 1

    # when W-5 has expired (N-20 is still in the 30-day band it was alerted for), the alert is
    # critical and says expired stock cannot be issued
    sent = actions.send_expiry_alerts(day + dt.timedelta(days=6), actor=system)
    assert [(s["site"], [lot["batch"] for lot in s["lots"]]) for s in sent] == [("WH-TXQ", ["W-5"])]
    last = alerts_for(txq)[-1]
    assert last.level == Notification.Level.CRITICAL
    assert "W-5" in last.body and "N-20" not in last.body

    # and when N-20 enters the 7-day band (missed days are caught up: the next run is 9 days later)
    sent = actions.send_expiry_alerts(day + dt.timedelta(days=15), actor=system)
    assert {(s["site"], lot["batch"], lot["band"]) for s in sent for lot in s["lots"]} == {
        ("WH-TXQ", "N-20", 7),
        ("WH-YY", "N-20", 7),
    }


def test_lots_without_stock_or_expiry_are_not_alerted(txq, n95, water, system, day):
    receive(txq, n95, "NO-EXP", None, 10, system)
    receive(txq, water, "GONE", day + dt.timedelta(days=3), 5, system)
    actions.issue_stock(txq, Site.objects.get(code="FH-FCL"), [actions.IssueLineInput(item=water, qty=5)], actor=system)

    assert actions.send_expiry_alerts(day, actor=system) == []
    assert not alerts_for(txq)


def test_the_daily_job_is_registered_and_runs_once_a_day(txq, water, system, day):
    receive(txq, water, "W-5", day + dt.timedelta(days=5), 30, system)
    [job] = [job for job in daily_jobs() if job.name == "inventory.expiry_alerts"]
    runs = run_due(on_date=day, jobs=[job])
    again = run_due(on_date=day, jobs=[job])

    assert [(r.status, r.result) for r in runs] == [("done", {"sites": ["WH-TXQ"], "lots": 1})]
    assert [r.status for r in again] == ["skipped"]
    assert len(alerts_for(txq)) == 1
