"""Background work of the command centre: drills."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from baogong.command import actions, drills
from baogong.command.models import Drill
from baogong.core.audit import SystemActor
from baogong.core.jobs import job_body, report_progress

MESSAGES = {
    "snapshot": "快照 / snapshot",
    "baseline": "基线 / baseline",
    "drill": "推演 / drill",
    "done": "完成 / done",
}


def execute_drill(drill: Drill, job_id: str | None = None) -> dict[str, Any]:
    """Run ``drill`` (its saved parameters) and record the result; progress goes to ``job_id``."""
    actor = drill.created_by or SystemActor("drill")
    actions.mark_drill_running(drill)

    def report(pct: int, message: str) -> None:
        if job_id:
            report_progress(job_id, min(pct, 99), MESSAGES.get(message, message))

    try:
        result = drills.run(drills.DrillEvents.from_json(drill.parameters), actor=actor, report=report)
    except Exception as exc:
        actions.record_drill_result(drill, None, error=str(exc) or exc.__class__.__name__, actor=actor)
        raise
    actions.record_drill_result(drill, result, actor=actor)
    return result


@task()
@job_body
def run_drill_job(job_id: str, drill_id: int) -> dict[str, Any]:
    drill = Drill.objects.select_related("created_by").get(pk=drill_id)
    result = execute_drill(drill, job_id)
    return {
        "drill": drill_id,
        "unmet_units": {k: result[k]["unmet_units"] for k in ("baseline", "drill")},
        "moved": len(result["moved"]),
    }
