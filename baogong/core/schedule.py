"""Daily jobs: apps register them, ``baogong worker`` and ``baogong run-scheduled`` run them.

An app registers jobs in an optional ``schedule.py`` module (discovered like the other plug-ins,
see :mod:`baogong.registry`)::

    DAILY_JOBS = [DailyJob("fleet.pass_expiry_alerts", send_pass_alerts, at=dt.time(6, 0))]

A job is a callable taking the date it runs for and returning something JSON-friendly (a summary).
Each job runs at most once per day: before it runs, a claim ``(job, date)`` is written to the
database under a unique constraint (the ``core.IdempotencyRecord`` table, scope
:data:`CLAIM_SCOPE`), so a restarted worker, a second worker or a cron run the same day find the
claim and skip the job. A job that raises gives its claim back (it is retried on the next tick);
a claim left by a process that died mid-job is taken over after :data:`STALE_AFTER`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from baogong.core.models import IdempotencyRecord

logger = logging.getLogger(__name__)

CLAIM_SCOPE = "core.schedule"
STALE_AFTER = dt.timedelta(hours=1)
RUNNING, DONE = None, 200  # IdempotencyRecord.status_code of a claim


@dataclass(frozen=True)
class DailyJob:
    """``func(date)`` runs once a day, at the first tick at or after ``at`` (local time)."""

    name: str
    func: Callable[[dt.date], Any]
    at: dt.time = dt.time(0, 0)


@dataclass(frozen=True)
class JobRun:
    name: str
    date: dt.date
    status: str  # "done", "skipped" (already claimed today) or "failed"
    result: Any = None
    error: str = ""


def daily_jobs() -> list[DailyJob]:
    """Every app's ``schedule.py`` ``DAILY_JOBS``, in app order."""
    from baogong.registry import collect

    jobs: list[DailyJob] = collect("schedule", "DAILY_JOBS")
    names = [j.name for j in jobs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"daily jobs registered twice: {', '.join(duplicates)}")
    return jobs


def _claim(job: DailyJob, on_date: dt.date, now: dt.datetime) -> bool:
    key = f"{job.name}:{on_date.isoformat()}"
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                scope=CLAIM_SCOPE, key=key, method="DAILY", path=job.name, body_hash="", created_at=now
            )
        return True
    except IntegrityError:
        pass
    # Take over a claim whose process died while running the job.
    taken = IdempotencyRecord.objects.filter(
        scope=CLAIM_SCOPE, key=key, status_code__isnull=True, created_at__lt=now - STALE_AFTER
    ).update(created_at=now)
    return taken == 1


def _finish(job: DailyJob, on_date: dt.date, result: Any) -> None:
    body = json.dumps(result, default=str, ensure_ascii=False).encode("utf-8")
    IdempotencyRecord.objects.filter(scope=CLAIM_SCOPE, key=f"{job.name}:{on_date.isoformat()}").update(
        status_code=DONE, response_body=body, content_type="application/json"
    )


def _release(job: DailyJob, on_date: dt.date) -> None:
    IdempotencyRecord.objects.filter(scope=CLAIM_SCOPE, key=f"{job.name}:{on_date.isoformat()}").delete()


def has_run(name: str, on_date: dt.date) -> bool:
    return IdempotencyRecord.objects.filter(
        scope=CLAIM_SCOPE, key=f"{name}:{on_date.isoformat()}", status_code=DONE
    ).exists()


def run_job(job: DailyJob, on_date: dt.date, *, now: dt.datetime | None = None) -> JobRun:
    """Run ``job`` for ``on_date`` unless it has already been claimed for that date."""
    now = now or timezone.now()
    if not _claim(job, on_date, now):
        return JobRun(job.name, on_date, "skipped")
    try:
        result = job.func(on_date)
    except Exception as exc:
        logger.exception("daily job %s for %s failed", job.name, on_date)
        _release(job, on_date)
        return JobRun(job.name, on_date, "failed", error=str(exc))
    _finish(job, on_date, result)
    logger.info("daily job %s for %s done: %s", job.name, on_date, result)
    return JobRun(job.name, on_date, "done", result=result)


def run_due(
    now: dt.datetime | None = None,
    *,
    on_date: dt.date | None = None,
    jobs: Sequence[DailyJob] | None = None,
) -> list[JobRun]:
    """Run the jobs that are due. With ``on_date`` (cron, catching up a day): every job for that
    date whatever the time of day; otherwise today's jobs whose time ``at`` has come."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    jobs = daily_jobs() if jobs is None else jobs
    runs: list[JobRun] = []
    for job in jobs:
        if on_date is None and local.time() < job.at:
            continue
        runs.append(run_job(job, on_date or local.date(), now=now))
    return runs


class SchedulerThread(threading.Thread):
    """Runs :func:`run_due` every ``interval`` seconds beside the task worker."""

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__(name="baogong-scheduler", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                run_due()
                retry_due_deliveries()
            except Exception:  # a broken tick must not kill the scheduler
                logger.exception("scheduler tick failed")
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()


def retry_due_deliveries() -> int:
    """Every tick: notification deliveries whose retry time has come go back to the task queue."""
    from baogong.core.deliveries import retry_due

    return retry_due()


def purge_idempotency_records(on_date: dt.date) -> dict[str, Any]:
    """Forget stored answers to ``Idempotency-Key`` requests after ``BAOGONG_IDEMPOTENCY_DAYS``
    (7 by default; a client retries within minutes). The daily jobs' own run claims stay."""
    from django.conf import settings

    from baogong.core.idempotency import purge_records

    days = int(settings.BAOGONG_IDEMPOTENCY_DAYS)
    return {"deleted": purge_records(older_than=dt.timedelta(days=days), keep_scopes=frozenset({CLAIM_SCOPE}))}


DAILY_JOBS = [DailyJob("core.purge_idempotency_records", purge_idempotency_records, at=dt.time(3, 30))]
