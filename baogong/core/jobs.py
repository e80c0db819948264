"""Long work as background jobs with progress the UI shows (a progress bar that polls)."""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.db import transaction
from django.utils import timezone

from baogong.core.models import Job

P = ParamSpec("P")
R = TypeVar("R")


def create_job(kind: str, title: str, *, owner: Any = None) -> Job:
    return Job.objects.create(kind=kind, title=title, owner=owner if getattr(owner, "pk", None) else None)


def enqueue_job(job: Job, task: Any, *args: Any, **kwargs: Any) -> Job:
    """Enqueue ``task`` (a django-tasks task taking ``job_id`` first) after the commit."""

    def send() -> None:
        result = task.enqueue(str(job.pk), *args, **kwargs)
        Job.objects.filter(pk=job.pk).update(task_result_id=str(getattr(result, "id", "")))

    transaction.on_commit(send)
    return job


def report_progress(job_id: str, progress: int, message: str = "") -> None:
    """Record progress (0–100). Written outside any business transaction so the UI sees it."""
    Job.objects.filter(pk=job_id).update(
        progress=max(0, min(100, int(progress))),
        message=message[:255],
        status=Job.Status.RUNNING,
        updated_at=timezone.now(),
    )


def job_body(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark the job running, record the result or the error, whatever ``func`` does. A job that
    has already succeeded is not run again (a queue delivers at least once, and the replay runs its
    drill's body itself): the recorded result is answered."""

    @functools.wraps(func)
    def wrapper(job_id: str, *args: Any, **kwargs: Any) -> Any:
        claimed = (
            Job.objects.filter(pk=job_id)
            .exclude(status=Job.Status.SUCCEEDED)
            .update(status=Job.Status.RUNNING, updated_at=timezone.now())
        )
        if not claimed:
            finished = Job.objects.filter(pk=job_id, status=Job.Status.SUCCEEDED).first()
            if finished is not None:
                return finished.result
        try:
            result = func(job_id, *args, **kwargs)
        except Exception as exc:
            Job.objects.filter(pk=job_id).update(
                status=Job.Status.FAILED,
                error="".join(traceback.format_exception(exc))[-4000:],
                message=str(exc)[:255],
            )
            raise
        Job.objects.filter(pk=job_id).update(status=Job.Status.SUCCEEDED, progress=100, result=result)
        return result

    return wrapper
