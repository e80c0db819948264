"""Fuel stations: tanks in the ledger, deliveries in, sales out by vehicle, green channel, roster, alerts, report."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from baogong.core.models import AuditEvent, Notification
from baogong.fleet import actions
from baogong.fleet.errors import FuelInvalid
from baogong.fleet.models import FuelSale
from baogong.fleet.queries import roster_gaps, station_day_report, tank_level, waiting_queue
from baogong.inventory.models import StockMove
from baogong.orgs.models import Site


@pytest.fixture
def station(base):
    return Site.objects.get(code="FS-FH")


@pytest.fixture
def diesel(system):
    from baogong.catalog.actions import create_item

    return create_item({"code": "FUEL-0D", "name": "0号柴油", "unit": "L"}, actor=system)


@pytest.fixture
def tank(station, diesel, system):
    tank = actions.create_tank(station, diesel, code="T1", capacity_litres=20000, low_level_litres=2000, actor=system)
    actions.receive_fuel(tank, 5000, Decimal("7.20"), reference="中石化-0420", actor=system)
    return tank


@pytest.fixture
def supply_vehicle(make_vehicle, make_pass):
    vehicle = make_vehicle("沪A66666")
    make_pass(vehicle, number="310113000066", valid_from=timezone.localdate() - dt.timedelta(days=2))
    return vehicle


def test_delivery_in_is_a_ledger_receipt_into_the_tank(tank):
    assert tank_level(tank) == 5000
    move = StockMove.objects.get(to_location=tank.location)
    assert move.qty == 5000 and move.item == tank.item and move.reason == "receipt"


def test_overfilling_a_tank_is_refused_and_nothing_written(tank, system):
    with pytest.raises(FuelInvalid) as exc:
        actions.receive_fuel(tank, 15001, Decimal("7.20"), reference="x", actor=system)
    assert "litres" in exc.value.details
    assert tank_level(tank) == 5000 and StockMove.objects.count() == 1


def test_tank_must_be_at_a_fuel_station_and_in_litres(base, diesel, system):
    from baogong.catalog.actions import create_item

    with pytest.raises(FuelInvalid) as exc:
        actions.create_tank(
            Site.objects.get(code="WH-TXQ"), diesel, code="T1", capacity_litres=1000, low_level_litres=10, actor=system
        )
    assert "station" in exc.value.details
    boxes = create_item({"code": "N95", "name": "N95口罩", "unit": "箱"}, actor=system)
    with pytest.raises(FuelInvalid) as exc:
        actions.create_tank(
            Site.objects.get(code="FS-CD"), boxes, code="T9", capacity_litres=1000, low_level_litres=10, actor=system
        )
    assert "item" in exc.value.details


def test_sale_issues_litres_from_the_tank_and_logs_plate_and_amount(tank, system):
    sale = actions.sell_fuel(tank, "沪b12345", 60, Decimal("7.89"), actor=system)
    assert sale.plate == "沪B12345" and sale.litres == 60 and sale.amount == Decimal("473.40")
    assert not sale.green_channel and sale.vehicle_pass is None
    assert tank_level(tank) == 4940
    out = StockMove.objects.get(from_location=tank.location)
    assert out.qty == 60 and out.reason == "issue"
    assert AuditEvent.objects.filter(verb="sell_fuel", object_id=str(sale.pk)).count() == 1


def test_sale_larger_than_the_tank_is_refused_and_nothing_written(tank, system):
    from baogong.inventory.errors import InsufficientStock

    with pytest.raises(InsufficientStock):
        actions.sell_fuel(tank, "沪B12345", 5001, Decimal("7.89"), actor=system)
    assert FuelSale.objects.count() == 0 and tank_level(tank) == 5000


def test_bad_sale_input_is_field_errors(tank, system):
    with pytest.raises(FuelInvalid) as exc:
        actions.sell_fuel(tank, " ", 0, Decimal("0"), actor=system)
    assert set(exc.value.details) == {"plate", "litres", "unit_price"}


def test_green_channel_serves_supply_vehicles_first_and_logs_fuelling_against_the_pass(
    station, tank, supply_vehicle, system
):
    # given a private car arriving before a supply vehicle with a valid pass
    now = timezone.now()
    car = actions.arrive_at_station(station, "沪C11111", at=now - dt.timedelta(minutes=5), actor=system)
    truck = actions.arrive_at_station(station, "沪A66666", at=now, actor=system)
    # then the supply vehicle is served first
    assert truck.green_channel and not car.green_channel
    assert [t.plate for t in waiting_queue(station)] == ["沪A66666", "沪C11111"]
    # and its fuelling is logged against its pass
    sale = actions.sell_fuel(tank, "沪A66666", 120, Decimal("7.89"), ticket=truck, actor=system)
    assert sale.green_channel and sale.vehicle_pass.number == "310113000066"
    assert list(sale.vehicle_pass.fuelling.all()) == [sale]
    assert [t.plate for t in waiting_queue(station)] == ["沪C11111"]


def test_vehicle_with_expired_pass_waits_in_the_normal_lane(station, make_vehicle, make_pass, system):
    vehicle = make_vehicle("沪A77777")
    make_pass(vehicle, number="310113000077", valid_from=timezone.localdate() - dt.timedelta(days=30), days=7)
    ticket = actions.arrive_at_station(station, "沪A77777", actor=system)
    assert not ticket.green_channel and ticket.vehicle_pass is None


def test_low_tank_alert_once_until_refilled(tank, system):
    actions.sell_fuel(tank, "沪B1", 2900, Decimal("7.89"), actor=system)
    assert Notification.objects.count() == 0  # 2100 L left, above 2000
    actions.sell_fuel(tank, "沪B2", 200, Decimal("7.89"), actor=system)
    note = Notification.objects.get()
    assert "1900" in note.title and note.site_id == tank.station_id and note.level == "warning"
    actions.sell_fuel(tank, "沪B3", 100, Decimal("7.89"), actor=system)
    assert Notification.objects.count() == 1
    tank.refresh_from_db()
    actions.receive_fuel(tank, 10000, Decimal("7.20"), reference="refill", actor=system)
    tank.refresh_from_db()
    assert tank.low_alert_sent is False


def test_roster_covers_24_hours(station, system):
    day = timezone.localdate()
    assert roster_gaps(station, day) == ["00-08", "08-16", "16-24"]
    actions.set_roster(station, day, "00-08", ["张三"], actor=system)
    actions.set_roster(station, day, "08-16", ["李四", "王五"], actor=system)
    assert roster_gaps(station, day) == ["16-24"]
    with pytest.raises(FuelInvalid):
        actions.set_roster(station, day, "16-24", [" "], actor=system)
    event = AuditEvent.objects.filter(verb="set_roster").order_by("pk").last()
    assert event.after["attendants"] == ["李四", "王五"]


def test_daily_station_report(station, tank, supply_vehicle, system):
    day = timezone.localdate()
    actions.set_roster(station, day, "08-16", ["李四"], actor=system)
    actions.sell_fuel(tank, "沪A66666", 100, Decimal("7.89"), actor=system)
    actions.sell_fuel(tank, "沪B12345", 50, Decimal("7.89"), actor=system)
    report = station_day_report(station, day)
    row = report["tanks"][0]
    assert row["opening"] == 0 and row["received"] == 5000 and row["closing"] == 4850
    assert row["sold"] == 150 and row["green"] == 100 and row["amount"] == Decimal("1183.50")
    assert sum(s["litres"] for s in report["slots"]) == 150
    # to the fen as shown, not SQLite's float sum (the page showed 631.200000000000)
    assert str(row["amount"]) == "1183.50"
    assert sorted(str(s["amount"]) for s in report["slots"]) in (
        ["0.00", "0.00", "1183.50"],
        ["0.00", "394.50", "789.00"],
    )
    assert report["gaps"] == ["00-08", "16-24"]
    assert row["closing"] == tank_level(tank)


def test_station_staff_log_arrivals_and_sales_through_the_page(client_for, station, tank, supply_vehicle):
    client = client_for("commander")
    assert client.post(f"/fleet/stations/{station.pk}/arrival/", {"plate": "沪C22222"}).status_code == 302
    assert client.post(f"/fleet/stations/{station.pk}/arrival/", {"plate": "沪A66666"}).status_code == 302
    page = client.get(f"/fleet/stations/{station.pk}/").content.decode()
    queue = page.split('<ol class="small">')[1].split("</ol>")[0]
    assert queue.index("沪A66666") < queue.index("沪C22222")  # green channel listed first
    assert "310113000066" in queue
    truck = waiting_queue(station)[0]
    response = client.post(
        f"/fleet/stations/{station.pk}/sale/",
        {"tank": tank.pk, "plate": "沪A66666", "litres": 80, "unit_price": "7.89", "ticket": truck.pk},
    )
    assert response.status_code == 302
    sale = FuelSale.objects.get()
    assert sale.green_channel and sale.amount == Decimal("631.20") and sale.seller.username == "commander"
    assert tank_level(tank) == 4920
    pdf = client.get(f"/fleet/stations/{station.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_bad_sale_form_writes_nothing(client_for, station, tank):
    client = client_for("commander")
    client.post(
        f"/fleet/stations/{station.pk}/sale/", {"tank": tank.pk, "plate": "沪B1", "litres": 0, "unit_price": "7"}
    )
    assert FuelSale.objects.count() == 0 and tank_level(tank) == 5000


def test_station_of_another_scope_is_404_and_roles_are_enforced(client_for, station):
    assert client_for("warehouse").get(f"/fleet/stations/{station.pk}/").status_code == 404
    assert client_for("driver").get("/fleet/stations/").status_code == 403
    assert client_for("auditor").get(f"/fleet/stations/{station.pk}/").status_code == 200
    assert client_for("auditor").post(f"/fleet/stations/{station.pk}/arrival/", {"plate": "沪C1"}).status_code == 403
