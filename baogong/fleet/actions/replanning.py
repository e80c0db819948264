"""The fleet's part of a distribution re-plan (重新调配), filled into ``distribution/hooks.py``.

- :func:`withdraw_shipment_stops` runs inside the re-plan's transaction: the withdrawn shipments
  leave every route plan (their stops are deleted; each plan's change audited).
- :func:`rerun_day_plans` runs after the re-plan commits: every route plan of today (or of
  yesterday: a night's plan across midnight) not yet accepted whose vehicles are based at a touched warehouse, or that lost stops, takes the open
  shipments of its depots it does not carry yet and is solved again (a background job).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import DomainError
from baogong.core.retry import retry_on_conflict
from baogong.core.transactions import require_transaction
from baogong.fleet import locks
from baogong.fleet.actions.plans import save_stops, start_planning
from baogong.fleet.choices import PlanStatus
from baogong.fleet.models import RoutePlan, RouteStop

log = logging.getLogger(__name__)
RERUNNABLE = (PlanStatus.DRAFT, PlanStatus.PLANNED, PlanStatus.FAILED)


def withdraw_shipment_stops(shipment_ids: list[int], actor: Actor) -> None:
    """Inside the caller's transaction: take the shipments off every route plan."""
    require_transaction("withdraw_shipment_stops")
    stops = list(RouteStop.objects.filter(shipment_id__in=shipment_ids).order_by("plan_id", "pk"))
    by_plan: dict[int, list[RouteStop]] = defaultdict(list)
    for stop in stops:
        by_plan[stop.plan_id].append(stop)
    for plan_id in sorted(by_plan):
        plan = locks.plan_for_update(plan_id)
        gone = by_plan[plan_id]
        RouteStop.objects.filter(pk__in=[s.pk for s in gone]).delete()
        audit.record(
            "withdraw_stops",
            plan,
            actor=actor,
            before={"stops": [s.reference or str(s.site_id) for s in gone], "shipments": [s.shipment_id for s in gone]},
            after={"reason": "replan_warehouse"},
        )


def rerun_day_plans(warehouse_ids: list[int], actor: Actor) -> list[RoutePlan]:
    """After a re-plan: today's plans of the touched warehouses take their depots' new shipments
    and are solved again; so do yesterday's still not accepted (the night's plan when a warehouse
    goes under control just after midnight: its stops were withdrawn, and it would otherwise leave
    with no replacement). A plan the actor may not touch, or one already being solved, is left."""
    today = timezone.localdate()
    plans = (
        RoutePlan.objects.filter(
            date__range=(today - dt.timedelta(days=1), today),
            status__in=RERUNNABLE,
            vehicles__home_depot_id__in=warehouse_ids,
        )
        .distinct()
        .order_by("pk")
    )
    rerun = []
    for plan in plans:
        try:
            _add_open_shipments(plan, actor=actor)
            rerun.append(start_planning(plan, actor=actor))
        except DomainError as exc:
            log.info("route plan %s not re-run after the re-plan: %s", plan.pk, exc.message)
    return rerun


@retry_on_conflict
def _add_open_shipments(plan: RoutePlan, *, actor: Actor) -> None:
    from baogong.fleet.shipments import open_shipments, shipment_stop

    with transaction.atomic(durable=True):
        locked = locks.plan_for_update(plan.pk)
        if locked.status not in RERUNNABLE:
            return
        depots = sorted({v.home_depot_id for v in locked.vehicles.all() if v.home_depot_id})
        carried = set(
            RouteStop.objects.filter(plan__date=locked.date, shipment__isnull=False).values_list(
                "shipment_id", flat=True
            )
        )
        new = [shipment_stop(s) for s in open_shipments(depots) if s.pk not in carried]
        if not new:
            return
        save_stops(locked, new)
        audit.record(
            "add_stops",
            locked,
            actor=actor,
            after={"stops": [s.reference for s in new], "reason": "replan_warehouse"},
        )
