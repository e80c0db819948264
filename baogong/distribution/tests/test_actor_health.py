"""Staff who are positive or close contacts may not load or dispatch goods until cleared
(people's check in ``distribution/hooks.py`` ``ACTOR_CHECKS``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from baogong.distribution import actions
from baogong.distribution.errors import DispatchRefused
from baogong.distribution.models import Shipment
from baogong.fleet.tests.registered import registered_transport
from baogong.orgs.models import Organisation, Site
from baogong.people import actions as people_actions
from baogong.people import outbreak

from .conftest import SYSTEM, in_days
from .test_replan import receive


@pytest.fixture
def picked(file, commander, hospital, n95):
    txq = Site.objects.get(code="WH-TXQ")
    receive(txq, n95, 50)
    actions.approve_request(file(hospital, (n95, 20, in_days(2))), actor=SYSTEM)
    actions.confirm_allocation(actions.preview_allocation([txq], actor=commander), actor=commander)
    (shipment,) = actions.plan_shipments(actor=commander)
    return actions.pick_shipment(shipment, actor=commander)


def test_a_positive_dispatcher_may_not_load_until_cleared(picked, user):
    dispatcher, health = user("dispatcher"), user("health")
    person = people_actions.create_person(
        {"kind": "staff", "name": "周调度", "organisation": Organisation.objects.get(code="CYGS"), "user": dispatcher},
        actor=health,
    )
    taken = timezone.now() - dt.timedelta(minutes=5)
    people_actions.record_health_test(person, kind="antigen", result="positive", taken_at=taken, actor=health)
    transport = registered_transport()
    # when the positive dispatcher loads: refused, nothing changed
    with pytest.raises(DispatchRefused) as refused:
        actions.load_shipment(picked, actor=dispatcher, **transport)
    assert any("检测阳性" in r for r in refused.value.details["reasons"])
    assert Shipment.objects.get(pk=picked.pk).status == "picked"
    # once cleared, the dispatcher may load
    outbreak.clear_person(person, reason="区疾控解除", actor=health)
    assert actions.load_shipment(picked, actor=dispatcher, **transport).status == "loaded"
