"""Route plans for a dispatch day: create, solve in the background, move a stop, assign drivers."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from baogong.core.models import AuditEvent, Job
from baogong.fleet import actions
from baogong.fleet.errors import PlanBusy, PlanInvalid
from baogong.fleet.models import PlannedRoute, RoutePlan, RouteStop
from baogong.fleet.tasks import run_plan
from baogong.orgs.models import Organisation, Site

from .conftest import DAY

RECIPIENTS = ["EH-TY", "HT-WYN", "HT-QJ", "IP-HKL", "FH-FCL", "FH-MPL", "FC-NZ", "CV-BY"]


@pytest.fixture
def plan(cygs, make_vehicle, user):
    v1 = make_vehicle("沪A10001", capacity_kg=1500)
    v2 = make_vehicle("沪A10002", capacity_kg=1500, home_depot=Site.objects.get(code="WH-BY"))
    stops = [actions.StopInput(Site.objects.get(code=c), demand_kg=300, reference=f"DN-{c}") for c in RECIPIENTS]
    return actions.create_plan(cygs, DAY, [v1, v2], stops, options={"time_limit_s": 1}, actor=user("dispatcher"))


def test_create_plan_records_stops_and_audit(plan):
    assert plan.status == "draft"
    assert plan.stops.count() == 8 and plan.vehicles.count() == 2
    event = AuditEvent.objects.get(verb="create_plan")
    assert event.after["vehicles"] == ["沪A10001", "沪A10002"] and event.after["stops"] == 8


def test_create_plan_refuses_bad_input_and_writes_nothing(cygs, make_vehicle, user):
    vehicle = make_vehicle(home_depot=None)
    other = make_vehicle("沪A20000")
    actions.set_vehicle_status(other, "maintenance", actor=user("dispatcher"))
    other.refresh_from_db()
    customer = Site.objects.get(code="CU-POSCO")
    customer.lat = None
    customer.save()
    with pytest.raises(PlanInvalid) as exc:
        actions.create_plan(
            cygs,
            DAY,
            [vehicle, other],
            [actions.StopInput(customer, demand_kg=-1)],
            options={"detour_factor": Decimal("0.9")},
            actor=user("dispatcher"),
        )
    details = exc.value.details
    assert len(details["vehicles"]) == 2 and len(details["stops"]) == 2
    assert "detour_factor" in details
    assert RoutePlan.objects.count() == 0


def test_other_organisation_cannot_plan(make_vehicle, user):
    vehicle = make_vehicle()
    with pytest.raises(PlanInvalid) as exc:
        actions.create_plan(
            Organisation.objects.get(code="YYGS"),
            DAY,
            [vehicle],
            [actions.StopInput(Site.objects.get(code="EH-TY"), demand_kg=1)],
            actor=user("dispatcher"),
        )
    assert "organisation" in exc.value.details and "vehicles" in exc.value.details


def test_solving_stores_routes_with_order_etas_load_and_km(plan):
    # when the plan is solved
    run_plan(plan)
    plan.refresh_from_db()
    # then every stop is on a route, loads respect capacity and km add up
    assert plan.status == "planned"
    routes = list(plan.routes.all())
    assert 1 <= len(routes) <= 2
    assert RouteStop.objects.filter(plan=plan, route__isnull=True).count() == 0
    for route in routes:
        stops = list(route.stops.order_by("position"))
        assert [s.position for s in stops] == list(range(1, len(stops) + 1))
        assert route.load_kg == 300 * len(stops) <= 1500
        assert route.km == sum(s.km_from_previous for s in stops) + _back_km(route, stops)
        etas = [s.eta for s in stops]
        assert etas == sorted(etas) and route.start <= etas[0]
        assert route.problems == []
    assert plan.total_km == sum(r.km for r in routes)
    assert AuditEvent.objects.filter(verb="apply_plan_result", object_id=str(plan.pk)).count() == 1


def _back_km(route, stops):
    from baogong.core.geo import haversine_km

    last = stops[-1].site
    depot = route.vehicle.home_depot
    km = haversine_km(float(last.lat), float(last.lon), float(depot.lat), float(depot.lon)) * 1.3
    return Decimal(round(km * 1000)) / 1000


def test_moving_a_stop_recomputes_both_routes(plan, user):
    run_plan(plan)
    plan.refresh_from_db()
    # given two routes: 8 stops × 300 kg exceed one vehicle's 1,500 kg, so both vehicles run
    routes = [r for r in plan.routes.order_by("vehicle__plate") if r.stops.exists()]
    assert len(routes) == 2
    a, b = routes
    stop = a.stops.order_by("position").first()
    a_before, b_before = a.stops.count(), b.stops.count()
    # when the dispatcher moves a's first stop to position 1 of route b
    actions.move_stop(stop, b, 1, actor=user("dispatcher"))
    a.refresh_from_db()
    b.refresh_from_db()
    stop.refresh_from_db()
    # then the stop is first on b, both routes renumbered, loads and km recomputed
    assert stop.route_id == b.pk and stop.position == 1
    assert a.stops.count() == a_before - 1 and b.stops.count() == b_before + 1
    assert [s.position for s in b.stops.order_by("position")] == list(range(1, b_before + 2))
    assert b.load_kg == 300 * (b_before + 1)
    assert a.load_kg == 300 * (a_before - 1)
    plan.refresh_from_db()
    assert plan.total_km == a.km + b.km
    event = AuditEvent.objects.get(verb="move_stop")
    assert event.before == {"route": a.pk, "position": 1} and event.after == {"route": b.pk, "position": 1}


def test_moving_a_stop_can_make_a_route_infeasible_and_says_why(cygs, make_vehicle, user):
    v = make_vehicle("沪A10003", capacity_kg=500)
    w = make_vehicle("沪A10004", capacity_kg=500)
    stops = [actions.StopInput(Site.objects.get(code=c), demand_kg=250) for c in ["EH-TY", "HT-WYN", "IP-HKL", "HT-QJ"]]
    plan = actions.create_plan(cygs, DAY, [v, w], stops, options={"time_limit_s": 1}, actor=user("dispatcher"))
    run_plan(plan)
    a, b = plan.routes.order_by("vehicle__plate")
    actions.move_stop(a.stops.first(), b, 3, actor=user("dispatcher"))
    b.refresh_from_db()
    assert b.load_kg == 750 and b.problems == ["over capacity: 750 > 500 kg"]


def test_unassigning_a_stop(plan, user):
    run_plan(plan)
    stop = RouteStop.objects.filter(plan=plan).first()
    actions.move_stop(stop, None, 0, actor=user("dispatcher"))
    stop.refresh_from_db()
    assert stop.route is None and stop.eta is None


def test_draft_plan_cannot_be_edited(plan, user):
    with pytest.raises(PlanInvalid):
        actions.move_stop(plan.stops.first(), None, 0, actor=user("dispatcher"))


def test_assign_driver_and_refuse_driver_of_another_org(plan, make_driver, user, cygs):
    run_plan(plan)
    route = plan.routes.first()
    driver = make_driver()
    actions.assign_driver(route, driver, actor=user("dispatcher"))
    route.refresh_from_db()
    assert route.driver == driver
    driver.organisation = Organisation.objects.get(code="YYGS")
    driver.save()
    with pytest.raises(PlanInvalid):
        actions.assign_driver(route, driver, actor=user("dispatcher"))


@pytest.mark.django_db(transaction=True)
def test_planning_runs_as_a_background_job_with_progress(plan, user):
    # when planning is started, a job is queued; a second start is refused while it runs
    actions.start_planning(plan, actor=user("dispatcher"))
    plan.refresh_from_db()
    assert plan.status == "planning" and plan.job.status == "queued"
    with pytest.raises(PlanBusy):
        actions.start_planning(plan, actor=user("dispatcher"))
    # and the database worker solves it
    call_command("db_worker", "--batch", "--interval", "0")
    plan.refresh_from_db()
    job = Job.objects.get(pk=plan.job_id)
    assert job.status == "succeeded" and job.progress == 100
    assert job.result["plan"] == plan.pk and job.result["unassigned"] == 0
    assert plan.status == "planned" and PlannedRoute.objects.filter(plan=plan).exists()


def test_dates_shift_start_is_used(plan):
    plan.shift_start = dt.time(6, 0)
    plan.save()
    run_plan(plan)
    assert min(r.start for r in plan.routes.all()) >= dt.time(6, 0)


def test_a_plan_is_solved_within_its_time_limit_unless_the_settings_fix_the_iterations(plan, settings):
    from baogong.fleet.queries import plan_options

    settings.BAOGONG_ROUTING_ITERATIONS = 0  # as in production: the plan's own limit
    options = plan_options(plan)
    assert (options.seconds, options.max_iterations) == (1.0, 0)
    settings.BAOGONG_ROUTING_ITERATIONS = 500  # as in the test suite (conftest.py)
    assert plan_options(plan).max_iterations == 500
