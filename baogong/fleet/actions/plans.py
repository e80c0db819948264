"""Route plans: create, solve (as a background job), adjust, accept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import DomainError, NotFound
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope, user_scope
from baogong.distribution.shipments import Transport, assign_transport
from baogong.fleet import locks, routing
from baogong.fleet.choices import PlanStatus, VehicleStatus
from baogong.fleet.errors import PlanBusy, PlanInvalid
from baogong.fleet.models import (
    Driver,
    PlannedRoute,
    RoutePlan,
    RouteStop,
    Vehicle,
)
from baogong.orgs.models import Organisation, Site

# --- route plans ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StopInput:
    site: Site
    demand_kg: int = 0
    demand_litres: int = 0
    demand_cases: int = 0
    service_minutes: int = 10
    reference: str = ""
    shipment: Any = None  # a distribution.Shipment: its goods are loaded at its warehouse


@retry_on_conflict
def create_plan(
    organisation: Organisation,
    date: dt.date,
    vehicles: Sequence[Vehicle],
    stops: Sequence[StopInput],
    *,
    options: Mapping[str, Any] | None = None,
    actor: Actor,
) -> RoutePlan:
    """A draft plan for a dispatch day: the vehicles to use and the deliveries to make."""
    opts = dict(options or {})
    errors: dict[str, list[str]] = {}
    if not user_scope(actor).allows(organisation_id=organisation.pk):
        errors["organisation"] = [_("You may not plan for this organisation.")]
    if not vehicles:
        errors["vehicles"] = [_("Choose at least one vehicle.")]
    for v in vehicles:
        if v.organisation_id != organisation.pk:
            errors.setdefault("vehicles", []).append(_("%(plate)s is not in this fleet.") % {"plate": v.plate})
        elif v.status != VehicleStatus.ACTIVE:
            errors.setdefault("vehicles", []).append(_("%(plate)s is not active.") % {"plate": v.plate})
        elif v.home_depot is None or v.home_depot.lat is None or v.home_depot.lon is None:
            errors.setdefault("vehicles", []).append(
                _("%(plate)s has no home depot with coordinates.") % {"plate": v.plate}
            )
    if not stops:
        errors["stops"] = [_("Add at least one delivery.")]
    depots = {v.home_depot_id for v in vehicles}
    for s in stops:
        if s.shipment is not None and s.shipment.warehouse_id not in depots:
            errors.setdefault("stops", []).append(
                _("Shipment %(number)s leaves from %(site)s; no chosen vehicle is based there.")
                % {"number": s.shipment.number or s.shipment.pk, "site": s.shipment.warehouse.name}
            )
    for s in stops:
        if s.site.lat is None or s.site.lon is None:
            errors.setdefault("stops", []).append(_("%(site)s has no coordinates.") % {"site": s.site.code})
        if min(s.demand_kg, s.demand_litres, s.demand_cases, s.service_minutes) < 0:
            errors.setdefault("stops", []).append(_("%(site)s: demand cannot be negative.") % {"site": s.site.code})
    plan = RoutePlan(organisation=organisation, date=date, created_by=actor if getattr(actor, "pk", None) else None)
    for key in ("detour_factor", "speed_kmh", "time_limit_s", "shift_start", "shift_minutes"):
        if opts.get(key) is not None:
            setattr(plan, key, opts[key])
    try:
        plan.full_clean(exclude=["vehicles", "job", "created_by"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if Decimal(str(plan.detour_factor)) < 1:
        errors.setdefault("detour_factor", []).append(_("The detour factor is at least 1."))
    if Decimal(str(plan.speed_kmh)) <= 0:
        errors.setdefault("speed_kmh", []).append(_("The speed must be positive."))
    if errors:
        raise PlanInvalid(details=errors)
    with transaction.atomic(durable=True):
        plan.save()
        plan.vehicles.set(vehicles)
        save_stops(plan, stops)
        audit.record(
            "create_plan",
            plan,
            actor=actor,
            after={**audit.snapshot(plan), "vehicles": [v.plate for v in vehicles], "stops": len(stops)},
        )
        return plan


@retry_on_conflict
def start_planning(plan: RoutePlan, *, actor: Actor) -> RoutePlan:
    """Queue the solver for ``plan`` as a background job (progress bar, time limit)."""
    from baogong.core.jobs import create_job, enqueue_job
    from baogong.fleet.tasks import solve_plan

    with transaction.atomic(durable=True):
        locked = locks.plan_for_update(plan.pk)
        require_scope(actor, organisation_id=locked.organisation_id)
        if locked.status == PlanStatus.PLANNING:
            raise PlanBusy()
        job = create_job("fleet.plan", _("Route plan %(date)s") % {"date": locked.date.isoformat()}, owner=actor)
        audit.change_status("start_planning", locked, PlanStatus.PLANNING, actor=actor, stamps={"job": job})
        enqueue_job(job, solve_plan, locked.pk)
        return locked


def _time(minutes: int) -> dt.time:
    minutes = max(0, min(minutes, 24 * 60 - 1))
    return dt.time(minutes // 60, minutes % 60)


def _write_route(route: PlannedRoute, result: routing.RouteResult, stops_by_key: Mapping[str, RouteStop]) -> None:
    route.km = Decimal(str(result.km)).quantize(Decimal("0.001"))
    route.start = _time(result.start)
    route.end = _time(result.end)
    route.load_kg, route.load_litres, route.load_cases = result.load
    route.problems = result.problems
    route.save()
    for position, visit in enumerate(result.visits, start=1):
        stop = stops_by_key[visit.key]
        stop.route = route
        stop.position = position
        stop.eta = _time(visit.arrival)
        stop.departure = _time(visit.departure)
        stop.km_from_previous = Decimal(str(visit.km_from_previous)).quantize(Decimal("0.001"))
        stop.late_minutes = visit.late_minutes
        stop.save()


@retry_on_conflict
def apply_plan_result(plan: RoutePlan, result: routing.PlanResult, *, actor: Actor) -> RoutePlan:
    """Store the solver's routes (called by the background task)."""
    with transaction.atomic(durable=True):
        locked = locks.plan_for_update(plan.pk)
        stops = {str(s.pk): s for s in locked.stops.all()}
        vehicles = {str(v.pk): v for v in locked.vehicles.all()}
        locked.routes.all().delete()
        RouteStop.objects.filter(plan=locked).update(
            route=None, position=0, eta=None, departure=None, km_from_previous=0, late_minutes=0
        )
        for r in result.routes:
            route = PlannedRoute(plan=locked, vehicle=vehicles[r.vehicle_key])
            _write_route(route, r, stops)
        locked.total_km = Decimal(str(result.km)).quantize(Decimal("0.001"))
        locked.status = PlanStatus.PLANNED
        locked.save(update_fields=["total_km", "status", "updated_at"])
        audit.record(
            "apply_plan_result",
            locked,
            actor=actor,
            after={
                "routes": len(result.routes),
                "unassigned": len(result.unassigned),
                "total_km": locked.total_km,
                "seconds": result.seconds,
            },
        )
        return locked


@retry_on_conflict
def mark_plan_failed(plan: RoutePlan, message: str, *, actor: Actor) -> None:
    with transaction.atomic(durable=True):
        locked = locks.plan_for_update(plan.pk)
        locked.status = PlanStatus.FAILED
        locked.save(update_fields=["status", "updated_at"])
        audit.record("mark_plan_failed", locked, actor=actor, after={"status": locked.status, "error": message[:255]})


@retry_on_conflict
def move_stop(stop: RouteStop, route: PlannedRoute | None, position: int, *, actor: Actor) -> RoutePlan:
    """Move a delivery to another route (or the same one) at ``position`` (1-based), or unassign it
    (``route=None``); km, ETAs, load and feasibility of the routes touched are recomputed."""
    from baogong.fleet.queries import plan_inputs

    with transaction.atomic(durable=True):
        plan = locks.plan_for_update(stop.plan_id)
        require_scope(actor, organisation_id=plan.organisation_id)
        if plan.status == PlanStatus.PLANNING:
            raise PlanBusy()
        if plan.status not in (PlanStatus.PLANNED, PlanStatus.ACCEPTED):
            raise PlanInvalid(details={"plan": [_("Only a computed plan can be changed.")]})
        if route is not None and route.plan_id != plan.pk:
            raise PlanInvalid(details={"route": [_("The route belongs to another plan.")]})
        routes = {r.pk: r for r in locks.routes_of_plan_for_update(plan.pk)}
        stop = locks.stop_for_update(stop.pk)
        old_route_id = stop.route_id
        before = {"route": old_route_id, "position": stop.position}
        members: dict[int, list[RouteStop]] = {
            pk: list(RouteStop.objects.filter(route_id=pk).exclude(pk=stop.pk).order_by("position", "pk"))
            for pk in routes
        }
        if route is not None:
            target = members[route.pk]
            index = max(0, min(position - 1, len(target)))
            target.insert(index, stop)
        else:
            stop.route = None
            stop.position = 0
            stop.eta = stop.departure = None
            stop.km_from_previous = Decimal(0)
            stop.late_minutes = 0
            stop.save()
        options, vehicle_of, stop_of = plan_inputs(plan)
        touched = {pk for pk in (old_route_id, route.pk if route else None) if pk is not None}
        for pk in touched:
            r = routes[pk]
            ordered = members[pk]
            result = routing.evaluate_route(vehicle_of[r.vehicle_id], [stop_of[s.pk] for s in ordered], options)
            _write_route(r, result, {str(s.pk): s for s in ordered})
        plan.total_km = sum((r.km for r in PlannedRoute.objects.filter(plan=plan)), Decimal(0))
        plan.save(update_fields=["total_km", "updated_at"])
        stop.refresh_from_db()
        audit.record(
            "move_stop", stop, actor=actor, before=before, after={"route": stop.route_id, "position": stop.position}
        )
        if plan.status == PlanStatus.ACCEPTED:
            _write_shipments(plan, [stop], "move_stop", actor=actor)
        return plan


def _check_driver(plan: RoutePlan, driver: Driver | None) -> None:
    """A route of ``plan`` may be given ``driver``: one of the plan's organisation, active (or none)."""
    if driver is not None and driver.organisation_id != plan.organisation_id:
        raise PlanInvalid(details={"driver": [_("The driver works for another organisation.")]})
    if driver is not None and not driver.is_active:
        raise PlanInvalid(details={"driver": [_("The driver is not active.")]})


@retry_on_conflict
def assign_driver(route: PlannedRoute, driver: Driver | None, *, actor: Actor) -> PlannedRoute:
    with transaction.atomic(durable=True):
        plan = locks.plan_for_update(route.plan_id)  # the document first: plan, then its route
        require_scope(actor, organisation_id=plan.organisation_id)
        locked = locks.route_for_update(route.pk)
        _check_driver(locked.plan, driver)
        before = {"driver": locked.driver_id}
        locked.driver = driver
        locked.save(update_fields=["driver"])
        audit.record("assign_driver", locked, actor=actor, before=before, after={"driver": locked.driver_id})
        if locked.plan.status == PlanStatus.ACCEPTED:
            stops = list(RouteStop.objects.filter(route=locked, shipment__isnull=False))
            _write_shipments(locked.plan, stops, "assign_driver", actor=actor)
        return locked


@retry_on_conflict
def assign_drivers(
    plan: RoutePlan, drivers: Mapping[int, Driver | None], *, actor: Actor
) -> list[PlannedRoute | DomainError]:
    """:func:`assign_driver` for many routes of one plan (route id → driver or ``None``) in one
    transaction: the plan locked first, then its routes in pk order; the same checks, change and
    ``assign_driver`` audit event per route (one insert for all), and on an accepted plan the
    shipments of the changed routes rewritten at once. Answers, in the order given, each route as
    saved or the error that refused it (a driver of another organisation or not active, a route not
    of this plan); a refused route does not stop the others."""
    with transaction.atomic(durable=True):
        locked_plan = locks.plan_for_update(plan.pk)
        require_scope(actor, organisation_id=locked_plan.organisation_id)
        routes = {r.pk: r for r in locks.routes_of_plan_for_update(locked_plan.pk)}
        vehicles = Vehicle.objects.in_bulk({r.vehicle_id for r in routes.values()})
        results: list[PlannedRoute | DomainError] = []
        changed: list[PlannedRoute] = []
        entries: list[audit.Entry] = []
        for route_id, driver in drivers.items():
            route = routes.get(route_id)
            try:
                if route is None:
                    raise NotFound()
                _check_driver(locked_plan, driver)
            except DomainError as exc:
                results.append(exc)
                continue
            route.plan, route.vehicle = locked_plan, vehicles[route.vehicle_id]  # read once, for the events
            before = {"driver": route.driver_id}
            route.driver = driver
            entries.append(audit.Entry(route, before=before, after={"driver": route.driver_id}))
            changed.append(route)
            results.append(route)
        PlannedRoute.objects.bulk_update(changed, ["driver"])
        audit.record_many("assign_driver", entries, actor=actor)
        if changed and locked_plan.status == PlanStatus.ACCEPTED:
            stops = list(RouteStop.objects.filter(route__in=changed, shipment__isnull=False).order_by("pk"))
            _write_shipments(locked_plan, stops, "assign_driver", actor=actor)
        return results


def _write_shipments(plan: RoutePlan, stops: Sequence[RouteStop], verb: str, *, actor: Actor) -> dict[str, list[str]]:
    """Write each stop's vehicle and driver (from its route) to its shipment, inside the caller's
    transaction, through :func:`baogong.distribution.shipments.assign_transport`. Shipments already
    loaded or further on are left as they are (listed under ``"kept"``); a stop taken off every
    route clears its shipment's vehicle and driver when they were this plan's. Each change is
    audited on the shipment with ``verb``."""
    by_shipment = {s.shipment_id: s for s in stops if s.shipment_id is not None}
    if not by_shipment:
        return {"written": [], "kept": []}
    routes = {r.pk: r for r in PlannedRoute.objects.filter(plan=plan).select_related("vehicle", "driver")}
    transports: dict[int, Transport | None] = {}
    for shipment_id, stop in by_shipment.items():
        route = routes.get(stop.route_id or 0)
        transports[shipment_id] = (
            None
            if route is None
            else Transport(
                vehicle_id=route.vehicle_id,
                vehicle_plate=route.vehicle.plate,
                driver_id=route.driver_id,
                driver_name=route.driver.name if route.driver else "",
                driver_phone=route.driver.phone if route.driver else "",
            )
        )
    plan_vehicles = {r.vehicle_id for r in routes.values()}
    return assign_transport(transports, verb, actor=actor, release_vehicles=plan_vehicles)


@retry_on_conflict
def accept_plan(plan: RoutePlan, *, actor: Actor) -> dict[str, list[str]]:
    """Accept a computed plan: each route's vehicle and driver are written to the shipments of its
    stops (moving a stop or changing a driver afterwards updates them). Answers the shipment
    numbers written and those kept because they are already loaded."""
    with transaction.atomic(durable=True):
        locked = locks.plan_for_update(plan.pk)
        require_scope(actor, organisation_id=locked.organisation_id)
        if locked.status == PlanStatus.PLANNING:
            raise PlanBusy()
        if locked.status != PlanStatus.PLANNED:
            raise PlanInvalid(details={"plan": [_("Only a computed plan that is not yet accepted can be accepted.")]})
        locks.routes_of_plan_for_update(locked.pk)
        stops = locks.shipment_stops_of_plan_for_update(locked.pk)
        before = {"status": locked.status}
        locked.status = PlanStatus.ACCEPTED
        locked.save(update_fields=["status", "updated_at"])
        outcome = _write_shipments(locked, stops, "accept_plan", actor=actor)
        audit.record("accept_plan", locked, actor=actor, before=before, after={"status": locked.status, **outcome})
        return outcome


def save_stops(plan: RoutePlan, stops: Iterable[Any]) -> None:
    """The plan's stops from the planner's stop records, in one statement (inside the caller's
    transaction): creating a plan, and a re-plan adding its new shipments to today's plans."""
    RouteStop.objects.bulk_create(
        RouteStop(
            plan=plan,
            site=s.site,
            reference=s.reference,
            demand_kg=s.demand_kg,
            demand_litres=s.demand_litres,
            demand_cases=s.demand_cases,
            service_minutes=s.service_minutes,
            shipment=s.shipment,
        )
        for s in stops
    )
