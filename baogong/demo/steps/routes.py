"""Each dispatch day's route plan (issue 21, point 3): the 泰兴桥 warehouse's shipments of the day
are planned on its registered trucks, each route gets a registered driver, and the accepted plan
writes vehicle and driver onto the shipments, which are then loaded with what the plan chose
(passes and the drivers' clearance are checked at load and dispatch, as for anyone).

The solver stops after a fixed number of iterations (not a time limit), so a seed gives the same
routes on any machine and the replay does not wait out the planner's 30-second default. A
shipment the plan leaves out (too big for one truck, the POSCO run outside Baoshan) is loaded as
before, on a truck and driver the dispatcher picks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import prefetch_related_objects

from baogong.core.errors import DomainError
from baogong.demo.scenario import SUPPLY_VEHICLES
from baogong.demo.steps._common import WAREHOUSE, _driver_name, _truck

if TYPE_CHECKING:
    from baogong.demo.scenario import Scenario

# Iterations of the route search per plan: enough for a day's 5–20 stops on 20 trucks.
ROUTE_ITERATIONS = 200


def plan_day(s: Scenario, day: dt.date, shipments: list[Any]) -> dict[int, tuple[int, int | None]]:
    """Plan, solve, staff and accept the day's routes for the 泰兴桥 shipments among ``shipments``
    (picked, not loaded); answers shipment id → (vehicle id, driver id) the accepted plan wrote.
    A refusal is noted and the day goes on without a plan."""
    from baogong.fleet import actions as fleet
    from baogong.fleet import routing
    from baogong.fleet.models import Driver, RoutePlan, Vehicle
    from baogong.fleet.queries import plan_inputs
    from baogong.fleet.shipments import shipment_stop

    ours = [
        sh
        for sh in shipments
        if sh.warehouse.code == WAREHOUSE and (sh.recipient.area is None or sh.recipient.area.level != "other")
    ]
    if not ours:
        return {}
    prefetch_related_objects(ours, "lines__item")  # each stop's load, without a query per line
    commander = s.user("commander")
    plates = [_truck(n) for n in range(SUPPLY_VEHICLES)]
    vehicles = list(Vehicle.objects.filter(plate__in=plates).select_related("home_depot").order_by("plate"))
    drivers = {d.name: d for d in Driver.objects.filter(organisation__code="CYGS", is_active=True)}
    if not vehicles:
        return {}
    try:
        plan = fleet.create_plan(
            vehicles[0].organisation,
            day,
            vehicles,
            [shipment_stop(sh) for sh in ours],
            options={"time_limit_s": 1},
            actor=commander,
        )
        options, by_vehicle, stops = plan_inputs(plan)
        result = routing.plan_routes(
            list(stops.values()),
            list(by_vehicle.values()),
            dataclasses.replace(options, seed=s.seed, max_iterations=ROUTE_ITERATIONS),
        )
        plan = fleet.apply_plan_result(plan, result, actor=commander)
        staffed = plan.routes.order_by("pk").values_list("pk", flat=True)
        for refused in fleet.assign_drivers(
            plan, {pk: drivers.get(_driver_name(n)) for n, pk in enumerate(staffed)}, actor=commander
        ):
            if isinstance(refused, DomainError):
                raise refused
        fleet.accept_plan(plan, actor=commander)
    except DomainError as exc:
        s.outcome.notes.append(f"{day}: 路线规划 / route plan: {exc.message}")
        return {}
    s.outcome.route_plans += 1
    s.outcome.routes += plan.routes.count()
    written = RoutePlan.objects.get(pk=plan.pk).stops.filter(route__isnull=False, shipment__isnull=False)
    return {
        stop.shipment_id: (stop.route.vehicle_id, stop.route.driver_id)
        for stop in written.select_related("route")
        if stop.route is not None and stop.shipment_id is not None
    }
