"""Every state change of vehicles, drivers, passes and route plans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.notify import notify
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import user_scope
from baogong.distribution.shipments import Transport, assign_transport
from baogong.fleet import routing
from baogong.fleet.choices import PlanStatus, VehicleStatus
from baogong.fleet.errors import DriverInvalid, FuelInvalid, PassInvalid, PlanBusy, PlanInvalid, VehicleInvalid
from baogong.fleet.models import (
    Driver,
    FuelQueueTicket,
    FuelSale,
    FuelShift,
    FuelTank,
    PlannedRoute,
    RoutePlan,
    RouteStop,
    Vehicle,
    VehiclePass,
)
from baogong.orgs.models import AdministrativeArea, Organisation, Site

VEHICLE_FIELDS = [
    "organisation",
    "plate",
    "kind",
    "capacity_kg",
    "capacity_m3",
    "capacity_cases",
    "cold_chain",
    "home_depot",
    "status",
]
DRIVER_FIELDS = [
    "organisation",
    "name",
    "phone",
    "person",
    "user",
    "licence_number",
    "licence_class",
    "licence_expiry",
    "is_active",
]
PASS_FIELDS = ["number", "vehicle", "route_description", "valid_from", "valid_until", "issuing_body"]


def _clean(obj: Any, error: type[Exception], exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise error(details=exc.message_dict) from exc  # type: ignore[call-arg]


def _check_org(organisation: Organisation | None, actor: Any, error: type[Exception], field: str) -> None:
    if organisation is None or not user_scope(actor).allows(organisation_id=organisation.pk):
        raise error(details={field: [_("You may not manage records of this organisation.")]})  # type: ignore[call-arg]


# --- vehicles -------------------------------------------------------------------------------


@retry_on_conflict
def create_vehicle(data: Mapping[str, Any], *, actor: Any) -> Vehicle:
    with transaction.atomic(durable=True):
        values = {k: v for k, v in data.items() if k in VEHICLE_FIELDS}
        if isinstance(values.get("plate"), str):
            values["plate"] = values["plate"].strip().upper()
        vehicle = Vehicle(**values)
        _clean(vehicle, VehicleInvalid)
        _check_org(vehicle.organisation, actor, VehicleInvalid, "organisation")
        vehicle.save()
        audit.record("create_vehicle", vehicle, actor=actor, after=audit.snapshot(vehicle))
        return vehicle


@retry_on_conflict
def update_vehicle(vehicle: Vehicle, data: Mapping[str, Any], *, actor: Any) -> Vehicle:
    with transaction.atomic(durable=True):
        locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
        before = audit.snapshot(locked)
        for key, value in data.items():
            if key in VEHICLE_FIELDS and key not in {"plate", "organisation"}:
                setattr(locked, key, value)
        _clean(locked, VehicleInvalid)
        locked.save()
        audit.record("update_vehicle", locked, actor=actor, before=before, after=audit.snapshot(locked))
        return locked


@retry_on_conflict
def set_vehicle_status(vehicle: Vehicle, status: str, *, actor: Any) -> Vehicle:
    if status not in VehicleStatus.values:
        raise VehicleInvalid(details={"status": [_("Unknown status.")]})
    with transaction.atomic(durable=True):
        locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
        before = audit.snapshot(locked, ["status"])
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        audit.record("set_vehicle_status", locked, actor=actor, before=before, after=audit.snapshot(locked, ["status"]))
        return locked


# --- drivers --------------------------------------------------------------------------------


@retry_on_conflict
def create_driver(data: Mapping[str, Any], *, actor: Any) -> Driver:
    with transaction.atomic(durable=True):
        driver = Driver(**{k: v for k, v in data.items() if k in DRIVER_FIELDS})
        _clean(driver, DriverInvalid)
        _check_org(driver.organisation, actor, DriverInvalid, "organisation")
        driver.save()
        audit.record("create_driver", driver, actor=actor, after=audit.snapshot(driver))
        return driver


@retry_on_conflict
def update_driver(driver: Driver, data: Mapping[str, Any], *, actor: Any) -> Driver:
    with transaction.atomic(durable=True):
        locked = Driver.objects.select_for_update().get(pk=driver.pk)
        before = audit.snapshot(locked)
        for key, value in data.items():
            if key in DRIVER_FIELDS and key != "organisation":
                setattr(locked, key, value)
        _clean(locked, DriverInvalid)
        locked.save()
        audit.record("update_driver", locked, actor=actor, before=before, after=audit.snapshot(locked))
        return locked


# --- passes ---------------------------------------------------------------------------------


@retry_on_conflict
def register_pass(
    data: Mapping[str, Any], areas: Iterable[AdministrativeArea], *, scan: UploadedFile | None = None, actor: Any
) -> VehiclePass:
    """Record a vehicle pass (number, vehicle, areas, validity, issuing body, scanned copy)."""
    area_list = list(areas)
    with transaction.atomic(durable=True):
        vpass = VehiclePass(**{k: v for k, v in data.items() if k in PASS_FIELDS})
        errors: dict[str, list[str]] = {}
        try:
            vpass.full_clean(exclude=["scan"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if not area_list:
            errors.setdefault("areas", []).append(_("A pass covers at least one area."))
        if (
            vpass.valid_from
            and vpass.valid_until
            and vpass.valid_until < vpass.valid_from
            and "valid_until" not in errors
        ):
            errors.setdefault("valid_until", []).append(_("The pass ends before it starts."))
        if errors:
            raise PassInvalid(details=errors)
        _check_org(vpass.vehicle.organisation, actor, PassInvalid, "vehicle")
        if scan is not None:
            vpass.scan.save(scan.name or "scan", scan, save=False)
        vpass.save()
        vpass.areas.set(area_list)
        fields = [f.name for f in VehiclePass._meta.concrete_fields if f.name != "scan"]
        after = {
            **audit.snapshot(vpass, fields),
            "scan": vpass.scan.name or None,
            "areas": sorted(a.code for a in area_list),
        }
        audit.record("register_pass", vpass, actor=actor, after=after)
        return vpass


@retry_on_conflict
def revoke_pass(vpass: VehiclePass, *, actor: Any) -> VehiclePass:
    with transaction.atomic(durable=True):
        locked = VehiclePass.objects.select_for_update().get(pk=vpass.pk)
        if locked.revoked:
            raise PassInvalid(details={"revoked": [_("The pass is already revoked.")]})
        locked.revoked = True
        locked.save(update_fields=["revoked", "updated_at"])
        audit.record("revoke_pass", locked, actor=actor, before={"revoked": False}, after={"revoked": True})
        return locked


@retry_on_conflict
def send_pass_expiry_alerts(on_date: dt.date, *, within_days: int = 3, actor: Any) -> list[VehiclePass]:
    """Notify the owners of passes that end within ``within_days`` of ``on_date`` (once per pass)."""
    from baogong.core.models import Notification
    from baogong.fleet.queries import passes_expiring

    sent: list[VehiclePass] = []
    with transaction.atomic(durable=True):
        due = passes_expiring(VehiclePass.objects.filter(expiry_alert_sent=False), on_date, within_days)
        for vpass in due.select_for_update(of=("self",)):
            title = _("Vehicle pass %(number)s of %(plate)s ends on %(date)s") % {
                "number": vpass.number,
                "plate": vpass.vehicle.plate,
                "date": vpass.valid_until.isoformat(),
            }
            notify(
                title,
                _("Renew the pass before it ends, or the vehicle cannot be dispatched."),
                level=Notification.Level.WARNING,
                link=f"/fleet/vehicles/{vpass.vehicle_id}/",
                organisation_id=vpass.vehicle.organisation_id,
            )
            vpass.expiry_alert_sent = True
            vpass.save(update_fields=["expiry_alert_sent", "updated_at"])
            audit.record("send_pass_expiry_alert", vpass, actor=actor, after={"valid_until": vpass.valid_until})
            sent.append(vpass)
    return sent


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
    actor: Any,
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
        audit.record(
            "create_plan",
            plan,
            actor=actor,
            after={**audit.snapshot(plan), "vehicles": [v.plate for v in vehicles], "stops": len(stops)},
        )
        return plan


@retry_on_conflict
def start_planning(plan: RoutePlan, *, actor: Any) -> RoutePlan:
    """Queue the solver for ``plan`` as a background job (progress bar, time limit)."""
    from baogong.core.jobs import create_job, enqueue_job
    from baogong.fleet.tasks import solve_plan

    with transaction.atomic(durable=True):
        locked = RoutePlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status == PlanStatus.PLANNING:
            raise PlanBusy()
        job = create_job("fleet.plan", _("Route plan %(date)s") % {"date": locked.date.isoformat()}, owner=actor)
        before = {"status": locked.status}
        locked.status = PlanStatus.PLANNING
        locked.job = job
        locked.save(update_fields=["status", "job", "updated_at"])
        audit.record("start_planning", locked, actor=actor, before=before, after={"status": locked.status})
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
def apply_plan_result(plan: RoutePlan, result: routing.PlanResult, *, actor: Any) -> RoutePlan:
    """Store the solver's routes (called by the background task)."""
    with transaction.atomic(durable=True):
        locked = RoutePlan.objects.select_for_update().get(pk=plan.pk)
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
def mark_plan_failed(plan: RoutePlan, message: str, *, actor: Any) -> None:
    with transaction.atomic(durable=True):
        locked = RoutePlan.objects.select_for_update().get(pk=plan.pk)
        locked.status = PlanStatus.FAILED
        locked.save(update_fields=["status", "updated_at"])
        audit.record("mark_plan_failed", locked, actor=actor, after={"status": locked.status, "error": message[:255]})


@retry_on_conflict
def move_stop(stop: RouteStop, route: PlannedRoute | None, position: int, *, actor: Any) -> RoutePlan:
    """Move a delivery to another route (or the same one) at ``position`` (1-based), or unassign it
    (``route=None``); km, ETAs, load and feasibility of the routes touched are recomputed."""
    from baogong.fleet.queries import plan_inputs

    with transaction.atomic(durable=True):
        plan = RoutePlan.objects.select_for_update().get(pk=stop.plan_id)
        if plan.status == PlanStatus.PLANNING:
            raise PlanBusy()
        if plan.status not in (PlanStatus.PLANNED, PlanStatus.ACCEPTED):
            raise PlanInvalid(details={"plan": [_("Only a computed plan can be changed.")]})
        if route is not None and route.plan_id != plan.pk:
            raise PlanInvalid(details={"route": [_("The route belongs to another plan.")]})
        routes = {r.pk: r for r in PlannedRoute.objects.select_for_update().filter(plan=plan).order_by("pk")}
        stop = RouteStop.objects.select_for_update().get(pk=stop.pk)
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


@retry_on_conflict
def assign_driver(route: PlannedRoute, driver: Driver | None, *, actor: Any) -> PlannedRoute:
    with transaction.atomic(durable=True):
        locked = PlannedRoute.objects.select_for_update().get(pk=route.pk)
        if driver is not None and driver.organisation_id != locked.plan.organisation_id:
            raise PlanInvalid(details={"driver": [_("The driver works for another organisation.")]})
        before = {"driver": locked.driver_id}
        locked.driver = driver
        locked.save(update_fields=["driver"])
        audit.record("assign_driver", locked, actor=actor, before=before, after={"driver": locked.driver_id})
        if locked.plan.status == PlanStatus.ACCEPTED:
            stops = list(RouteStop.objects.filter(route=locked, shipment__isnull=False))
            _write_shipments(locked.plan, stops, "assign_driver", actor=actor)
        return locked


def _write_shipments(plan: RoutePlan, stops: Sequence[RouteStop], verb: str, *, actor: Any) -> dict[str, list[str]]:
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
def accept_plan(plan: RoutePlan, *, actor: Any) -> dict[str, list[str]]:
    """Accept a computed plan: each route's vehicle and driver are written to the shipments of its
    stops (moving a stop or changing a driver afterwards updates them). Answers the shipment
    numbers written and those kept because they are already loaded."""
    with transaction.atomic(durable=True):
        locked = RoutePlan.objects.select_for_update().get(pk=plan.pk)
        if not user_scope(actor).allows(organisation_id=locked.organisation_id):
            raise PlanInvalid(details={"organisation": [_("You may not plan for this organisation.")]})
        if locked.status == PlanStatus.PLANNING:
            raise PlanBusy()
        if locked.status != PlanStatus.PLANNED:
            raise PlanInvalid(details={"plan": [_("Only a computed plan that is not yet accepted can be accepted.")]})
        list(PlannedRoute.objects.select_for_update().filter(plan=locked).order_by("pk"))
        stops = list(RouteStop.objects.select_for_update().filter(plan=locked, shipment__isnull=False).order_by("pk"))
        before = {"status": locked.status}
        locked.status = PlanStatus.ACCEPTED
        locked.save(update_fields=["status", "updated_at"])
        outcome = _write_shipments(locked, stops, "accept_plan", actor=actor)
        audit.record("accept_plan", locked, actor=actor, before=before, after={"status": locked.status, **outcome})
        return outcome


# --- fuel stations ----------------------------------------------------------------------------


def _station_errors(station: Site, actor: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if station.kind != "fuel_station":
        errors["station"] = [_("%(site)s is not a fuel station.") % {"site": station.code}]
    elif not user_scope(actor).allows(organisation_id=station.organisation_id, site_id=station.pk):
        errors["station"] = [_("You may not manage this station.")]
    return errors


@retry_on_conflict
def create_tank(
    station: Site, item: Any, *, code: str, capacity_litres: int, low_level_litres: int, actor: Any
) -> FuelTank:
    """A tank for one fuel grade: a bin location of the station in the stock ledger."""
    from baogong.inventory.actions import create_location

    errors = _station_errors(station, actor)
    if getattr(item, "unit", "") not in {"L", "升"}:
        errors["item"] = [_("A fuel grade is counted in litres (unit L).")]
    if capacity_litres <= 0:
        errors["capacity_litres"] = [_("The capacity must be positive.")]
    if not 0 <= low_level_litres < max(capacity_litres, 1):
        errors["low_level_litres"] = [_("The low level must be below the capacity.")]
    if FuelTank.objects.filter(station=station, item=item).exists():
        errors["item"] = [_("The station already has a tank of this grade.")]
    if FuelTank.objects.filter(station=station, code=code.strip()).exists() or not code.strip():
        errors["code"] = [_("Give a tank code not yet used at the station.")]
    if errors:
        raise FuelInvalid(details=errors)
    location = create_location(station, code=f"TANK-{code.strip()}", name=f"{code.strip()} {item.name}", actor=actor)
    with transaction.atomic(durable=True):
        tank = FuelTank.objects.create(
            station=station,
            item=item,
            location=location,
            code=code.strip(),
            capacity_litres=capacity_litres,
            low_level_litres=low_level_litres,
        )
        audit.record("create_tank", tank, actor=actor, after=audit.snapshot(tank))
        return tank


@retry_on_conflict
def receive_fuel(tank: FuelTank, litres: int, unit_cost: Decimal, *, reference: str, actor: Any) -> Any:
    """A delivery into a tank: a receipt in the stock ledger (refused if it would overfill the tank)."""
    from baogong.fleet.queries import tank_level
    from baogong.inventory.actions import ReceiptLineInput, receive_stock

    errors = _station_errors(tank.station, actor)
    if litres <= 0:
        errors["litres"] = [_("Litres must be a whole number above zero.")]
    elif tank_level(tank) + litres > tank.capacity_litres:
        errors["litres"] = [
            _("The tank holds %(cap)s L; %(level)s L are in it.")
            % {"cap": tank.capacity_litres, "level": tank_level(tank)}
        ]
    if errors:
        raise FuelInvalid(details=errors)
    line = ReceiptLineInput(
        item=tank.item, batch=reference or "fuel", qty=litres, unit_cost=Decimal(unit_cost), location=tank.location
    )
    receipt = receive_stock(tank.station, [line], actor=actor, reference=reference, supplier_name=reference)
    if tank.low_alert_sent and tank_level(tank) > tank.low_level_litres:
        with transaction.atomic(durable=True):
            FuelTank.objects.filter(pk=tank.pk).update(low_alert_sent=False)
    return receipt


@retry_on_conflict
def set_roster(station: Site, date: dt.date, slot: str, attendants: Sequence[str], *, actor: Any) -> list[FuelShift]:
    """Who staffs ``slot`` of ``date`` (replaces that slot's list)."""
    from baogong.fleet.choices import ShiftSlot

    errors = _station_errors(station, actor)
    if slot not in ShiftSlot.values:
        errors["slot"] = [_("Unknown shift.")]
    names = [n.strip() for n in attendants if n.strip()]
    if not names:
        errors["attendants"] = [_("Name at least one attendant.")]
    if errors:
        raise FuelInvalid(details=errors)
    with transaction.atomic(durable=True):
        existing = FuelShift.objects.filter(station=station, date=date, slot=slot)
        before = sorted(existing.values_list("attendant", flat=True))
        existing.delete()
        shifts = [
            FuelShift.objects.create(station=station, date=date, slot=slot, attendant=n) for n in dict.fromkeys(names)
        ]
        audit.record(
            "set_roster",
            station,
            actor=actor,
            before={"date": date, "slot": slot, "attendants": before},
            after={"date": date, "slot": slot, "attendants": [s.attendant for s in shifts]},
        )
        return shifts


def _normalise_plate(plate: str) -> str:
    return (plate or "").strip().upper()


@retry_on_conflict
def arrive_at_station(station: Site, plate: str, *, actor: Any, at: dt.datetime | None = None) -> FuelQueueTicket:
    """A vehicle joins the queue; a registered supply vehicle with a pass valid today takes the green channel."""
    from django.utils import timezone

    from baogong.fleet.queries import valid_passes

    errors = _station_errors(station, actor)
    plate = _normalise_plate(plate)
    if not plate:
        errors["plate"] = [_("Give the plate.")]
    if errors:
        raise FuelInvalid(details=errors)
    when = at or timezone.now()
    vehicle = Vehicle.objects.filter(plate=plate).first()
    passes = valid_passes(vehicle, timezone.localtime(when).date()) if vehicle else []
    green = bool(vehicle and vehicle.status == VehicleStatus.ACTIVE and passes)
    with transaction.atomic(durable=True):
        ticket = FuelQueueTicket.objects.create(
            station=station,
            plate=plate,
            vehicle=vehicle,
            vehicle_pass=passes[0] if green else None,
            green_channel=green,
            arrived_at=when,
        )
        audit.record("arrive_at_station", ticket, actor=actor, after=audit.snapshot(ticket))
        return ticket


def ensure_sales_site(station: Site) -> Site:
    """The recipient site that fuel sold at ``station`` is issued to (created on first sale)."""
    from baogong.core.audit import SystemActor
    from baogong.orgs.actions import create_site

    code = f"{station.code}-SALE"
    existing = Site.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return create_site(
        {
            "code": code,
            "name": _("%(station)s fuel sales") % {"station": station.name},
            "kind": "customer",
            "organisation": station.organisation,
            "address": station.address,
            "lat": station.lat,
            "lon": station.lon,
        },
        actor=SystemActor("fleet fuel sales"),
    )


@retry_on_conflict
def sell_fuel(
    tank: FuelTank,
    plate: str,
    litres: int,
    unit_price: Decimal,
    *,
    actor: Any,
    ticket: FuelQueueTicket | None = None,
    at: dt.datetime | None = None,
) -> FuelSale:
    """Fuel a vehicle: an issue from the tank in the ledger, the sale logged (against the pass for a
    green-channel vehicle), the queue ticket served; a low-level alert when the tank runs low."""
    from django.utils import timezone

    from baogong.core.money import round_fen
    from baogong.fleet.choices import slot_of
    from baogong.fleet.queries import valid_passes
    from baogong.inventory.actions import IssueLineInput, issue_stock

    errors = _station_errors(tank.station, actor)
    plate = _normalise_plate(plate)
    if not plate:
        errors["plate"] = [_("Give the plate.")]
    if not isinstance(litres, int) or litres <= 0:
        errors["litres"] = [_("Litres must be a whole number above zero.")]
    if unit_price is None or Decimal(unit_price) <= 0:
        errors["unit_price"] = [_("The price must be positive.")]
    if ticket is not None and (ticket.served_at is not None or ticket.station_id != tank.station_id):
        errors["ticket"] = [_("This queue ticket is already served or belongs to another station.")]
    if errors:
        raise FuelInvalid(details=errors)
    when = at or timezone.now()
    vehicle = Vehicle.objects.filter(plate=plate).first()
    passes = valid_passes(vehicle, timezone.localtime(when).date()) if vehicle else []
    green = bool(vehicle and vehicle.status == VehicleStatus.ACTIVE and passes)
    reference = f"FUEL-{tank.station.code}-{plate}-{when:%Y%m%d%H%M%S}"
    issue = issue_stock(
        tank.station,
        ensure_sales_site(tank.station),
        [IssueLineInput(item=tank.item, qty=litres)],
        actor=actor,
        reference=reference,
    )
    with transaction.atomic(durable=True):
        locked = FuelTank.objects.select_for_update().get(pk=tank.pk)
        sale = FuelSale.objects.create(
            tank=locked,
            plate=plate,
            vehicle=vehicle,
            vehicle_pass=passes[0] if green else None,
            green_channel=green,
            litres=litres,
            unit_price=Decimal(unit_price),
            amount=round_fen(Decimal(unit_price) * litres),
            sold_at=when,
            slot=slot_of(timezone.localtime(when).hour),
            issue=issue,
            seller=actor if getattr(actor, "pk", None) else None,
        )
        if ticket is not None:
            FuelQueueTicket.objects.filter(pk=ticket.pk).update(served_at=when)
        audit.record("sell_fuel", sale, actor=actor, after=audit.snapshot(sale))
        _low_tank_alert(locked, actor=actor)
        return sale


def _low_tank_alert(locked: FuelTank, *, actor: Any) -> int | None:
    """Notify the station once when the (locked) tank is at or below its low level; answers the level
    when an alert was sent. The flag is cleared by the next delivery that lifts the level."""
    from baogong.core.models import Notification
    from baogong.fleet.queries import tank_level

    level = tank_level(locked)
    if level > locked.low_level_litres or locked.low_alert_sent:
        return None
    notify(
        _("Tank %(tank)s at %(station)s is low: %(level)s L left")
        % {"tank": locked.code, "station": locked.station.name, "level": level},
        _("Order a delivery."),
        level=Notification.Level.WARNING,
        organisation_id=locked.station.organisation_id,
        site_id=locked.station_id,
    )
    locked.low_alert_sent = True
    locked.save(update_fields=["low_alert_sent", "updated_at"])
    audit.record("send_low_tank_alert", locked, actor=actor, after={"level": level})
    return level


@retry_on_conflict
def send_low_tank_alerts(*, actor: Any) -> list[FuelTank]:
    """The daily check of every tank (the scheduled job): alert on the low ones not yet alerted —
    a tank can run low without a sale through the app (a leak, a stock count, a missed delivery)."""
    sent: list[FuelTank] = []
    with transaction.atomic(durable=True):
        for tank in FuelTank.objects.select_for_update().filter(low_alert_sent=False).order_by("pk"):
            if _low_tank_alert(tank, actor=actor) is not None:
                sent.append(tank)
    return sent
