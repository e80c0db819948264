"""The fuel attendant role: only the fuel-station permissions, only the stations granted."""

from decimal import Decimal

import pytest

from baogong.fleet.models import FuelSale
from baogong.fleet.permissions import FUEL
from baogong.orgs.models import Site


@pytest.fixture
def tank(make_tank):
    return make_tank()


def test_the_demo_attendant_has_only_the_fuel_station_permissions(user):
    fuel = user("fuel")
    assert [g.name for g in fuel.groups.all()] == ["fuel_attendant"]
    assert fuel.get_all_permissions() == set(FUEL)
    assert [g.site.code for g in fuel.grants.all()] == ["FS-FH"]


def test_the_attendant_sees_their_station_and_nothing_else(tank, client_for):
    client = client_for("fuel")
    fh = Site.objects.get(code="FS-FH")
    cd = Site.objects.get(code="FS-CD")
    listing = client.get("/fleet/stations/")
    assert listing.status_code == 200
    assert "凤凰加油站" in listing.content.decode() and cd.name not in listing.content.decode()
    assert client.get(f"/fleet/stations/{fh.pk}/").status_code == 200
    assert client.get(f"/fleet/stations/{cd.pk}/").status_code == 404
    for page in ("/fleet/plans/", "/fleet/vehicles/", "/fleet/drivers/", "/inventory/balances/"):
        assert client.get(page).status_code in (403, 404), page


def test_the_attendant_logs_a_sale(tank, client_for, user):
    client = client_for("fuel")
    response = client.post(
        f"/fleet/stations/{tank.station_id}/sale/",
        {"tank": tank.pk, "plate": "沪b12345", "litres": "40", "unit_price": "7.89"},
    )
    assert response.status_code == 302
    sale = FuelSale.objects.get()
    assert (sale.plate, sale.litres, sale.amount, sale.seller) == ("沪B12345", 40, Decimal("315.60"), user("fuel"))
