"""Actions acting for a user check that user's scope themselves: a record outside it is not there
(``NotFound``, a 404), whoever calls the action, and nothing changes."""

import pytest

from baogong.core.errors import NotFound
from baogong.distribution import actions
from baogong.distribution.models import RequestLink, Shipment

from .conftest import in_days
from .test_shipments import allocated  # noqa: F401 (fixtures)


def test_a_request_outside_the_users_scope_is_not_there(file, recipient_user, hospital, n95):
    # given a submitted request of the hospital and a clerk of the elderly home
    request = file(hospital, (n95, 5, in_days(3)), submit=True)
    # when the clerk tries to decide it, then it is not there for them and nothing changes
    with pytest.raises(NotFound):
        actions.approve_request(request, actor=recipient_user)
    with pytest.raises(NotFound):
        actions.reject_request(request, reason="no", actor=recipient_user)
    with pytest.raises(NotFound):
        actions.cancel_request(request, reason="no", actor=recipient_user)
    request.refresh_from_db()
    assert request.status == "submitted"


def test_a_request_link_outside_the_users_scope_is_not_there(hospital, recipient_user, system):
    link = actions.create_request_link(hospital, actor=system)
    with pytest.raises(NotFound):
        actions.create_request_link(hospital, actor=recipient_user)
    with pytest.raises(NotFound):
        actions.revoke_request_link(link, actor=recipient_user)
    assert RequestLink.objects.filter(recipient=hospital).count() == 1
    assert RequestLink.objects.get(pk=link.pk).is_active


def test_a_shipment_outside_the_users_scope_is_not_there(allocated, commander, recipient_user):  # noqa: F811
    # given a planned shipment from 泰兴桥 and a user of the elderly home
    shipment = actions.plan_shipments(actor=commander)[0]
    # when that user tries to pick it, then it is not there for them and nothing changes
    with pytest.raises(NotFound):
        actions.pick_shipment(shipment, actor=recipient_user)
    assert Shipment.objects.get(pk=shipment.pk).status == "planned"
    # the warehouse's own staff may
    assert actions.pick_shipment(shipment, actor=commander).status == "picked"
