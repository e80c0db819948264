"""Pharmacy actions check the scope of the user they act for (invariant 5): a pharmacist of another
pharmacy finds the order not there (NotFound) and nothing is written; the courier it was handed
to delivers it; residents (no login) still place orders."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from baogong.core.audit import SystemActor
from baogong.core.errors import NotFound
from baogong.core.models import AuditEvent
from baogong.inventory.models import Reservation, StockMove
from baogong.orgs import actions as org_actions
from baogong.orgs.models import Site
from baogong.pharmacy import actions
from baogong.pharmacy.models import Order, Settlement

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_pharmacist(base):
    """A pharmacist granted PH-01 only."""
    person = get_user_model().objects.create_user(username="ph01-pharmacist", password="x")  # noqa: S106
    person.groups.add(Group.objects.get(name="pharmacist"))
    org_actions.grant_access(person, site=Site.objects.get(code="PH-01"), actor=SystemActor("test"))
    return person


@pytest.fixture
def at_ph02(make_drug, stock, order_input, fees):
    drug = make_drug("布洛芬缓释胶囊")
    stock("PH-02", drug, 10)
    (order,) = actions.place_order(order_input([(drug, 2)]), actor=None)  # a resident, no login
    assert order.pharmacy.code == "PH-02"
    return order


def test_a_pharmacist_of_another_pharmacy_finds_the_order_not_there(at_ph02, other_pharmacist, user):
    counts = (Reservation.objects.count(), StockMove.objects.count(), Settlement.objects.count())
    events = AuditEvent.objects.count()
    for act in (
        lambda: actions.approve_order(at_ph02, actor=other_pharmacist),
        lambda: actions.reject_order(at_ph02, "缺货", actor=other_pharmacist),
        lambda: actions.cancel_order(at_ph02, "居民取消", actor=other_pharmacist),
        lambda: actions.settle_order(at_ph02, method="self_pay", actor=other_pharmacist),
        lambda: actions.dispatch_order(at_ph02, user("driver"), actor=other_pharmacist),
    ):
        with pytest.raises(NotFound):
            act()
    assert Order.objects.get(pk=at_ph02.pk).status == "placed"
    assert (Reservation.objects.count(), StockMove.objects.count(), Settlement.objects.count()) == counts
    assert AuditEvent.objects.count() == events


def test_the_courier_it_was_handed_to_delivers_it_and_no_other(at_ph02, other_pharmacist, user):
    pharmacist, driver = user("pharmacist"), user("driver")
    order = actions.approve_order(at_ph02, actor=pharmacist)
    order = actions.dispatch_order(order, driver, actor=pharmacist)
    with pytest.raises(NotFound):
        actions.confirm_delivery(order, order.handover_code, actor=other_pharmacist)
    assert actions.confirm_delivery(order, order.handover_code, actor=driver).status == "delivered"


def test_courier_list_offers_only_staff_who_deliver(at_ph02, user):
    from baogong.pharmacy import queries
    from baogong.pharmacy.errors import OrderInvalid

    names = set(queries.couriers().values_list("username", flat=True))
    assert {"driver", "pharmacist"} <= names
    assert not names & {"tenant", "auditor", "health", "property", "warehouse", "qc"}
    pharmacist = user("pharmacist")
    order = actions.approve_order(at_ph02, actor=pharmacist)
    with pytest.raises(OrderInvalid) as refused:
        actions.dispatch_order(order, user("tenant"), actor=pharmacist)
    assert list(refused.value.details) == ["courier"]
    assert Order.objects.get(pk=order.pk).status == order.status
    from baogong.pharmacy.forms import DispatchForm

    offered = {u.username for u in DispatchForm().fields["courier"].queryset}
    assert offered == names
