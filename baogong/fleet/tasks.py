"""Background work of the fleet app: the route planner."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from baogong.core.audit import SystemActor
from baogong.core.jobs import job_body, report_progress
from baogong.fleet import actions, routing
from baogong.fleet.models import RoutePlan
from baogong.fleet.queries import plan_inputs


def run_plan(plan: RoutePlan, job_id: str | None = None) -> routing.PlanResult:
    """Solve ``plan`` and store the routes; reports progress to ``job_id`` when given."""
    actor = SystemActor("fleet planner")
    options, vehicles, stops = plan_inputs(plan)

    def progress(pct: int) -> None:
        if job_id:
            report_progress(job_id, pct, f"{pct}%")

    try:
        result = routing.plan_routes(list(stops.values()), list(vehicles.values()), options, progress=progress)
    except Exception as exc:
        actions.mark_plan_failed(plan, str(exc), actor=actor)
        raise
    actions.apply_plan_result(plan, result, actor=actor)
    return result


@task()
@job_body
def solve_plan(job_id: str, plan_id: int) -> dict[str, Any]:
    plan = RoutePlan.objects.get(pk=plan_id)
    result = run_plan(plan, job_id)
    return {
        "plan": plan_id,
        "routes": len(result.routes),
        "unassigned": len(result.unassigned),
        "km": result.km,
        "seconds": result.seconds,
    }
