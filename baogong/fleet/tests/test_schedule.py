"""The fleet's daily jobs: pass-expiry and low-tank alerts, once a day through the scheduler."""

import datetime as dt
from decimal import Decimal

import pytest

from baogong.core.models import AuditEvent, Notification
from baogong.core.schedule import run_due
from baogong.fleet import actions
from baogong.fleet.schedule import DAILY_JOBS

from .conftest import DAY


def job(name):
    return [j for j in DAILY_JOBS if j.name == name]


def test_pass_expiry_job_alerts_once(make_vehicle, make_pass):
    vehicle = make_vehicle()
    make_pass(vehicle, valid_from=dt.date(2022, 4, 10), days=12)  # ends 04-21
    # when the scheduled job runs for the day, twice
    first = run_due(on_date=DAY, jobs=job("fleet.pass_expiry_alerts"))
    second = run_due(on_date=DAY, jobs=job("fleet.pass_expiry_alerts"))
    # then one notification, by the scheduler
    assert [(r.status, r.result) for r in first] == [("done", {"passes": ["310113000001"]})]
    assert [r.status for r in second] == ["skipped"]
    assert Notification.objects.count() == 1
    assert AuditEvent.objects.get(verb="send_pass_expiry_alert").actor_label == "scheduler"


@pytest.fixture
def low_tank(make_tank):
    return make_tank(1500)


def test_low_tank_job_alerts_a_tank_that_ran_low_without_a_sale(low_tank):
    # given a tank below its low level (1,500 of 2,000 L) and no sale that would have alerted
    assert Notification.objects.count() == 0
    # when the daily job runs
    runs = run_due(on_date=DAY, jobs=job("fleet.low_tank_alerts"))
    # then the station is notified once
    assert [(r.status, r.result) for r in runs] == [("done", {"tanks": ["FS-FH/T1"]})]
    note = Notification.objects.get()
    assert "T1" in note.title and "1500" in note.title and note.site_id == low_tank.station_id
    low_tank.refresh_from_db()
    assert low_tank.low_alert_sent
    # and the next day, still low, it is not repeated (until a delivery lifts the level)
    runs = run_due(on_date=DAY + dt.timedelta(days=1), jobs=job("fleet.low_tank_alerts"))
    assert [(r.status, r.result) for r in runs] == [("done", {"tanks": []})]
    assert Notification.objects.count() == 1


def test_low_tank_job_leaves_full_tanks_alone(low_tank, system):
    actions.receive_fuel(low_tank, 5000, Decimal("7.20"), reference="中石化-0421", actor=system)
    runs = run_due(on_date=DAY, jobs=job("fleet.low_tank_alerts"))
    assert runs[0].result == {"tanks": []} and Notification.objects.count() == 0
