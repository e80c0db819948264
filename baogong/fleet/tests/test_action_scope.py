"""Fleet actions acting for a user check that user's scope themselves: a record outside it is not
there (``NotFound``, a 404), and nothing changes."""

from decimal import Decimal

import pytest

from baogong.core.errors import NotFound
from baogong.fleet import actions
from baogong.fleet.models import FuelSale, RoutePlan
from baogong.orgs.models import Site

from .test_accept_plan import solved  # noqa: F401 (fixture)
from .test_fuel import diesel, station, tank  # noqa: F401 (fixtures)
from .test_shipment_plans import shipments  # noqa: F401 (fixture)


def test_a_plan_of_another_organisation_is_not_there(solved, user):  # noqa: F811
    # given a computed plan of 城运公司 and the fuel attendant of 凤凰 (another organisation)
    with pytest.raises(NotFound):
        actions.accept_plan(solved, actor=user("fuel"))
    with pytest.raises(NotFound):
        actions.start_planning(solved, actor=user("fuel"))
    assert RoutePlan.objects.get(pk=solved.pk).status == "planned"


def test_a_vehicle_of_another_organisation_is_not_there(make_vehicle, user):
    vehicle = make_vehicle("沪A20001")
    with pytest.raises(NotFound):
        actions.set_vehicle_status(vehicle, "maintenance", actor=user("fuel"))
    vehicle.refresh_from_db()
    assert vehicle.status == "active"


def test_a_station_outside_the_users_scope_is_not_there(tank, user):  # noqa: F811
    # given the attendant of 凤凰 and a station they do not work at
    other = Site.objects.get(code="FS-CD")
    with pytest.raises(NotFound):
        actions.set_roster(other, tank.created_at.date(), "00-08", ["张三"], actor=user("fuel"))
    with pytest.raises(NotFound):
        actions.arrive_at_station(other, "沪A00001", actor=user("warehouse"))
    # and a tank of their station for someone outside it
    with pytest.raises(NotFound):
        actions.sell_fuel(tank, "沪A00001", 10, Decimal("7.50"), actor=user("warehouse"))
    assert FuelSale.objects.count() == 0
