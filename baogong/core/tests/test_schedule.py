"""Daily jobs: discovered from the apps' schedule.py, run once per job and day (remembered in the
database), by the worker's scheduler thread and by `baogong run-scheduled`."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from baogong.core import schedule
from baogong.core.models import IdempotencyRecord
from baogong.core.schedule import DailyJob, has_run, run_due, run_job

pytestmark = pytest.mark.django_db

DAY = dt.date(2022, 4, 20)


def at(hour, minute=0, day=DAY):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


class Recorder:
    def __init__(self, fail=False):
        self.calls = []
        self.fail = fail

    def __call__(self, on_date):
        self.calls.append(on_date)
        if self.fail:
            raise RuntimeError("boom")
        return {"n": len(self.calls)}


def test_a_due_job_runs_once_per_day_even_after_a_restart():
    job = DailyJob("test.alerts", Recorder(), at=dt.time(6, 0))
    # when the scheduler ticks twice after 06:00 (a restarted worker ticks again)
    first = run_due(at(6, 5), jobs=[job])
    second = run_due(at(7, 0), jobs=[job])
    # then the job ran once, and the run is remembered in the database
    assert [(r.name, r.date, r.status, r.result) for r in first] == [("test.alerts", DAY, "done", {"n": 1})]
    assert [r.status for r in second] == ["skipped"]
    assert job.func.calls == [DAY]
    assert has_run("test.alerts", DAY)
    claim = IdempotencyRecord.objects.get(scope=schedule.CLAIM_SCOPE)
    assert claim.key == "test.alerts:2022-04-20" and claim.status_code == 200
    # and it runs again the next day
    assert [r.status for r in run_due(at(6, 0, DAY + dt.timedelta(days=1)), jobs=[job])] == ["done"]
    assert job.func.calls == [DAY, DAY + dt.timedelta(days=1)]


def test_a_job_waits_for_its_time_unless_a_date_is_given():
    job = DailyJob("test.alerts", Recorder(), at=dt.time(6, 0))
    assert run_due(at(5, 59), jobs=[job]) == []
    assert job.func.calls == [] and not has_run("test.alerts", DAY)
    # cron catching up a day runs it whatever the time
    runs = run_due(at(1, 0), on_date=DAY - dt.timedelta(days=1), jobs=[job])
    assert [(r.date, r.status) for r in runs] == [(DAY - dt.timedelta(days=1), "done")]


def test_a_failing_job_gives_its_claim_back_and_is_retried():
    recorder = Recorder(fail=True)
    job = DailyJob("test.broken", recorder)
    run = run_job(job, DAY, now=at(6))
    assert run.status == "failed" and run.error == "boom"
    assert not IdempotencyRecord.objects.filter(scope=schedule.CLAIM_SCOPE).exists()
    recorder.fail = False
    assert run_job(job, DAY, now=at(6, 1)).status == "done"
    assert len(recorder.calls) == 2


def test_a_claim_left_by_a_dead_process_is_taken_over_after_an_hour():
    job = DailyJob("test.alerts", Recorder())
    IdempotencyRecord.objects.create(
        scope=schedule.CLAIM_SCOPE,
        key="test.alerts:2022-04-20",
        method="DAILY",
        path="x",
        body_hash="",
        created_at=at(6),
    )
    assert run_job(job, DAY, now=at(6, 30)).status == "skipped"  # may still be running
    assert run_job(job, DAY, now=at(7, 1)).status == "done"
    assert job.func.calls == [DAY]


def test_apps_register_their_jobs_in_schedule_modules():
    names = [j.name for j in schedule.daily_jobs()]
    assert "fleet.pass_expiry_alerts" in names and "fleet.low_tank_alerts" in names
    assert len(names) == len(set(names))


def test_run_scheduled_command_runs_each_job_once_for_the_date(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(schedule, "daily_jobs", lambda: [DailyJob("test.alerts", recorder, at=dt.time(23, 59))])
    out = StringIO()
    call_command("run_scheduled", "--date", "2022-04-20", stdout=out)
    assert out.getvalue() == 'test.alerts\t2022-04-20\tdone\t{"n": 1}\n'
    out = StringIO()
    call_command("run_scheduled", "--date", "2022-04-20", stdout=out)
    assert out.getvalue() == "test.alerts\t2022-04-20\tskipped\tnull\n"
    assert recorder.calls == [DAY]
    with pytest.raises(CommandError):
        call_command("run_scheduled", "--date", "20.4.2022")


def test_run_scheduled_exits_1_when_a_job_fails(monkeypatch):
    monkeypatch.setattr(schedule, "daily_jobs", lambda: [DailyJob("test.broken", Recorder(fail=True))])
    out = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("run_scheduled", "--date", "2022-04-20", stdout=out)
    assert exc.value.code == 1
    assert out.getvalue() == "test.broken\t2022-04-20\tfailed\tboom\n"


def test_run_scheduled_lists_the_jobs():
    out = StringIO()
    call_command("run_scheduled", "--list", stdout=out)
    assert "fleet.pass_expiry_alerts\t06:00\n" in out.getvalue()


def test_the_worker_thread_ticks_until_stopped(monkeypatch):
    thread = schedule.SchedulerThread(interval=0)
    ticks = []

    def tick():
        ticks.append(1)
        if len(ticks) == 3:
            thread.stop()
        return []

    monkeypatch.setattr(schedule, "run_due", tick)
    monkeypatch.setattr(schedule, "close_old_connections", lambda: None)
    thread.run()  # in this thread: returns once stopped
    assert len(ticks) == 3


def test_a_broken_tick_does_not_stop_the_worker_thread(monkeypatch):
    thread = schedule.SchedulerThread(interval=0)
    ticks = []

    def tick():
        ticks.append(1)
        if len(ticks) == 2:
            thread.stop()
        raise RuntimeError("database away")

    monkeypatch.setattr(schedule, "run_due", tick)
    monkeypatch.setattr(schedule, "close_old_connections", lambda: None)
    thread.run()
    assert len(ticks) == 2
