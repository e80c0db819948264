"""Background tasks of the shared kernel."""

from __future__ import annotations

import time
from typing import Any

from django_tasks import task

from baogong.core.jobs import job_body, report_progress


@task()
@job_body
def count_to(job_id: str, n: int, pause: float = 0.0) -> dict[str, Any]:
    """A demonstration task: counts to ``n`` and reports progress on the way."""
    total = 0
    for i in range(1, n + 1):
        total += i
        if pause:
            time.sleep(pause)
        report_progress(job_id, i * 100 // n, f"{i}/{n}")
    return {"n": n, "sum": total}
