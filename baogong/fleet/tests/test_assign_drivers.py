"""Drivers for many routes of a plan at once (``assign_drivers``, the replay's dispatch days): the
same routes, shipments and audit events as ``assign_driver`` route by route; a refused route does
not stop the others."""

import pytest

from baogong.core.errors import NotFound
from baogong.core.models import AuditEvent
from baogong.distribution.models import Shipment
from baogong.fleet import actions
from baogong.fleet.errors import PlanInvalid
from baogong.fleet.models import PlannedRoute, RouteStop
from baogong.orgs.models import Organisation

from .test_accept_plan import solved  # noqa: F401 (fixture)
from .test_shipment_plans import shipments  # noqa: F401 (fixture)


def outcome(plan):
    """What assigning drivers leaves: each route's driver, each shipment's driver, and the
    ``assign_driver`` events (model, object, before, after, organisation)."""
    drivers = {r.pk: r.driver_id for r in PlannedRoute.objects.filter(plan=plan)}
    stops = RouteStop.objects.filter(plan=plan, shipment__isnull=False)
    fleet = {s.shipment_id: Shipment.objects.get(pk=s.shipment_id).driver_id for s in stops}
    events = sorted(
        (e.object_type.model, e.object_id, e.object_repr, str(e.before), str(e.after), e.organisation_id)
        for e in AuditEvent.objects.filter(verb="assign_driver")
    )
    return drivers, fleet, events


@pytest.mark.parametrize("accepted", [False, True])
@pytest.mark.parametrize("batch", [False, True])
def test_the_batch_gives_what_route_by_route_gives(solved, make_driver, user, accepted, batch):  # noqa: F811
    if accepted:
        actions.accept_plan(solved, actor=user("dispatcher"))
    first, second = solved.routes.order_by("vehicle__plate")
    one = make_driver()
    other = make_driver("李师傅", licence_number="310113198001015678")
    # when the dispatcher gives each route a driver, all at once or route by route
    if batch:
        answers = actions.assign_drivers(solved, {first.pk: one, second.pk: other}, actor=user("dispatcher"))
        assert [a.pk for a in answers] == [first.pk, second.pk]
    else:
        for route, driver in [(first, one), (second, other)]:
            actions.assign_driver(route, driver, actor=user("dispatcher"))
    # then both ways leave the same routes, shipments and audit events
    drivers, fleet, events = outcome(solved)
    assert drivers == {first.pk: one.pk, second.pk: other.pk}
    of_route = {s.shipment_id: s.route_id for s in RouteStop.objects.filter(plan=solved, shipment__isnull=False)}
    if accepted:
        assert fleet == {sh: drivers[route] for sh, route in of_route.items()}
    else:
        assert set(fleet.values()) == {None}
    routes = [e for e in events if e[0] == "plannedroute"]
    assert routes == sorted(
        ("plannedroute", str(r.pk), str(r), "{'driver': None}", f"{{'driver': {d.pk}}}", solved.organisation_id)
        for r, d in [(first, one), (second, other)]
    )
    shipment_events = [e for e in events if e[0] == "shipment"]
    assert len(shipment_events) == (len(of_route) if accepted else 0)


def test_a_refused_route_does_not_stop_the_others(solved, make_driver, user, system):  # noqa: F811
    actions.accept_plan(solved, actor=user("dispatcher"))
    first, second = solved.routes.order_by("vehicle__plate")
    good = make_driver()
    elsewhere = Organisation.objects.exclude(pk=solved.organisation_id).order_by("pk").first()
    assert elsewhere is not None
    foreign = actions.create_driver(
        {
            "organisation": elsewhere,
            "name": "李师傅",
            "licence_number": "310113198001015678",
            "licence_class": "B2",
            "licence_expiry": good.licence_expiry,
        },
        actor=system,
    )
    # when one route is given a driver of another organisation and a route id is not the plan's
    answers = actions.assign_drivers(solved, {first.pk: foreign, second.pk: good, 0: None}, actor=user("dispatcher"))
    # then that route and the unknown id are refused, with why, and the other route is staffed
    assert isinstance(answers[0], PlanInvalid) and "driver" in answers[0].details
    assert answers[1].pk == second.pk and isinstance(answers[2], NotFound)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.driver_id is None and second.driver_id == good.pk
    stops = list(RouteStop.objects.filter(route=second))
    assert stops and all(Shipment.objects.get(pk=s.shipment_id).driver_id == good.pk for s in stops)
    assert AuditEvent.objects.filter(verb="assign_driver", object_type__model="plannedroute").count() == 1


def test_an_inactive_driver_is_refused_as_one_by_one(solved, make_driver, user):  # noqa: F811
    first = solved.routes.order_by("vehicle__plate").first()
    idle = make_driver(is_active=False)
    with pytest.raises(PlanInvalid):
        actions.assign_driver(first, idle, actor=user("dispatcher"))
    [answer] = actions.assign_drivers(solved, {first.pk: idle}, actor=user("dispatcher"))
    assert isinstance(answer, PlanInvalid)
    assert not AuditEvent.objects.filter(verb="assign_driver").exists()
