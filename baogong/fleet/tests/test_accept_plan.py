"""Accepting a route plan writes each route's vehicle and driver to its shipments; moving a stop or
changing a route's driver afterwards updates them."""

import pytest
from django.utils import timezone

from baogong.core.models import AuditEvent
from baogong.distribution import actions as distribution_actions
from baogong.distribution.models import Shipment
from baogong.fleet import actions
from baogong.fleet.errors import PlanInvalid
from baogong.fleet.models import PlannedRoute, RouteStop
from baogong.fleet.shipments import open_shipments, shipment_stop
from baogong.fleet.tasks import run_plan
from baogong.fleet.tests.registered import registered_transport
from baogong.orgs.models import Site

from .test_shipment_plans import shipments  # noqa: F401 (fixture)


@pytest.fixture
def solved(shipments, cygs, make_vehicle, user):  # noqa: F811
    # given three shipments from 泰兴桥 (750, 300 and 200 kg) and two 1,000 kg trucks based there
    a = make_vehicle("沪A10001", capacity_kg=1000)
    b = make_vehicle("沪A10002", capacity_kg=1000)
    txq = Site.objects.get(code="WH-TXQ")
    stops = [shipment_stop(s) for s in open_shipments([txq.pk])]
    plan = actions.create_plan(
        cygs, timezone.localdate(), [a, b], stops, options={"time_limit_s": 1}, actor=user("dispatcher")
    )
    run_plan(plan)
    plan.refresh_from_db()
    assert plan.status == "planned" and plan.routes.count() == 2  # 1,250 kg need both trucks
    return plan


def shipment_fleet(stop):
    s = Shipment.objects.get(pk=stop.shipment_id)
    return s.vehicle_id, s.vehicle_plate, s.driver_id, s.driver_name


def test_accepting_writes_vehicle_and_driver_to_each_shipment(solved, make_driver, user):
    first, second = solved.routes.order_by("vehicle__plate")
    driver = make_driver()
    actions.assign_driver(first, driver, actor=user("dispatcher"))
    # when the dispatcher accepts the plan
    outcome = actions.accept_plan(solved, actor=user("dispatcher"))
    # then the plan is accepted and every shipment carries its route's vehicle and driver
    solved.refresh_from_db()
    assert solved.status == "accepted"
    for stop in RouteStop.objects.filter(route=first):
        assert shipment_fleet(stop) == (first.vehicle_id, "沪A10001", driver.pk, "王师傅")
    for stop in RouteStop.objects.filter(route=second):
        assert shipment_fleet(stop) == (second.vehicle_id, "沪A10002", None, "")
    numbers = sorted(Shipment.objects.values_list("number", flat=True))
    assert sorted(outcome["written"]) == numbers and outcome["kept"] == []
    # and each shipment's change and the acceptance are audited
    events = AuditEvent.objects.filter(verb="accept_plan")
    assert events.filter(object_type__model="shipment").count() == 3
    plan_event = events.get(object_type__model="routeplan")
    assert plan_event.before == {"status": "planned"} and plan_event.after["status"] == "accepted"


def test_moving_a_stop_after_acceptance_moves_its_shipment_to_the_other_vehicle(solved, user):
    actions.accept_plan(solved, actor=user("dispatcher"))
    first, second = solved.routes.order_by("vehicle__plate")
    stop = RouteStop.objects.filter(route=first).order_by("position").first()
    # when a stop is moved to the other truck
    actions.move_stop(stop, second, 1, actor=user("dispatcher"))
    # then its shipment names that truck
    assert shipment_fleet(stop)[:2] == (second.vehicle_id, "沪A10002")
    assert AuditEvent.objects.filter(verb="move_stop", object_type__model="shipment").count() == 1
    # when it is taken off every route
    actions.move_stop(stop, None, 0, actor=user("dispatcher"))
    # then its shipment has no vehicle and no driver
    assert shipment_fleet(stop) == (None, "", None, "")


def test_moving_a_stop_before_acceptance_writes_nothing_to_shipments(solved, user):
    first, second = solved.routes.order_by("vehicle__plate")
    stop = RouteStop.objects.filter(route=first).first()
    actions.move_stop(stop, second, 1, actor=user("dispatcher"))
    assert shipment_fleet(stop) == (None, "", None, "")


def test_changing_the_driver_after_acceptance_updates_the_shipments(solved, make_driver, user):
    actions.accept_plan(solved, actor=user("dispatcher"))
    route = solved.routes.order_by("vehicle__plate").first()
    driver = make_driver("李师傅", licence_number="310113198001015678")
    # when a driver is assigned to the accepted route
    actions.assign_driver(route, driver, actor=user("dispatcher"))
    # then its shipments name the driver
    stops = list(RouteStop.objects.filter(route=route))
    assert stops and all(shipment_fleet(s)[2:] == (driver.pk, "李师傅") for s in stops)


def test_a_loaded_shipment_is_kept_as_it_is(solved, user):
    keeper = user("warehouse")
    loaded = Shipment.objects.get(recipient__code="EH-TY")
    distribution_actions.pick_shipment(loaded, actor=keeper)
    transport = registered_transport("沪B99999", "外协")
    distribution_actions.load_shipment(loaded, actor=keeper, **transport)
    # when the plan is accepted
    outcome = actions.accept_plan(solved, actor=user("dispatcher"))
    # then the loaded shipment keeps what the warehouse recorded and is reported
    loaded.refresh_from_db()
    assert (loaded.vehicle_id, loaded.vehicle_plate, loaded.driver_name) == (
        transport["vehicle_id"],
        "沪B99999",
        "外协",
    )
    assert outcome["kept"] == [loaded.number] and len(outcome["written"]) == 2


def test_only_a_computed_plan_is_accepted_once(solved, cygs, make_vehicle, user):
    actions.accept_plan(solved, actor=user("dispatcher"))
    # when it is accepted again
    with pytest.raises(PlanInvalid):
        actions.accept_plan(solved, actor=user("dispatcher"))
    # and a draft plan is refused, nothing written
    draft = actions.create_plan(
        cygs,
        timezone.localdate(),
        [make_vehicle("沪A10003")],
        [actions.StopInput(Site.objects.get(code="EH-TY"), demand_kg=1)],
        actor=user("dispatcher"),
    )
    with pytest.raises(PlanInvalid):
        actions.accept_plan(draft, actor=user("dispatcher"))
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert AuditEvent.objects.filter(verb="accept_plan", object_type__model="routeplan").count() == 1


def test_accept_page_accepts_and_reports(solved, client_for):
    client = client_for("dispatcher")
    response = client.post(f"/fleet/plans/{solved.pk}/accept/", follow=True)
    assert response.status_code == 200
    solved.refresh_from_db()
    assert solved.status == "accepted"
    assert PlannedRoute.objects.filter(plan=solved).count() == 2
    assert all(s.vehicle_id for s in Shipment.objects.all())


def test_accepting_writes_each_shipment_and_audits_it_as_its_own_change(solved, make_driver, user):
    """The shipments of one route are written together (one UPDATE per route): each still gets its
    route's transport, its own event (before, after, scope) and a new ``updated_at``."""
    first, second = solved.routes.order_by("vehicle__plate")
    actions.assign_driver(first, make_driver(), actor=user("dispatcher"))
    stamps = dict(Shipment.objects.values_list("pk", "updated_at"))
    actions.accept_plan(solved, actor=user("dispatcher"))
    for stop in RouteStop.objects.filter(plan=solved, shipment__isnull=False).select_related("route"):
        shipment = Shipment.objects.get(pk=stop.shipment_id)
        assert (shipment.vehicle_id, shipment.driver_id) == (stop.route.vehicle_id, stop.route.driver_id)
        assert shipment.transport_legacy is False and shipment.updated_at > stamps[shipment.pk]
        event = AuditEvent.objects.get(verb="accept_plan", object_type__model="shipment", object_id=str(shipment.pk))
        assert event.before == {f: None if f.endswith("_id") else "" for f in event.before}
        assert (event.after["vehicle_id"], event.after["driver_id"]) == (shipment.vehicle_id, shipment.driver_id)
        assert (event.organisation_id, event.site_id) == (shipment.warehouse.organisation_id, shipment.warehouse_id)
