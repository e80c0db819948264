"""On PostgreSQL: attendants pressing "sell" on one queue ticket together serve it once and issue the
fuel once; deliveries arriving together never overfill the tank."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from baogong.core.models import AuditEvent
from baogong.core.tests.threads import run_threads
from baogong.fleet import actions
from baogong.fleet.errors import FuelInvalid
from baogong.fleet.models import FuelQueueTicket, FuelSale
from baogong.fleet.queries import tank_level
from baogong.inventory.models import StockMove
from baogong.orgs.models import Site

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 8


@pytest.fixture
def tank(base, system):
    from baogong.catalog.actions import create_item

    diesel = create_item({"code": "FUEL-0D", "name": "0号柴油", "unit": "L"}, actor=system)
    station = Site.objects.get(code="FS-FH")
    tank = actions.create_tank(station, diesel, code="T1", capacity_litres=20000, low_level_litres=2000, actor=system)
    actions.receive_fuel(tank, 5000, Decimal("7.20"), reference="中石化-0420", actor=system)
    return tank


def test_one_ticket_sold_together_is_served_and_issued_once(tank, system):
    assert connection.vendor == "postgresql"
    ticket = actions.arrive_at_station(tank.station, "沪A77777", actor=system)

    def body(i: int) -> None:
        actions.sell_fuel(tank, "沪A77777", 100, Decimal("7.89"), ticket=ticket, actor=system)

    errors = run_threads(THREADS, body)
    assert len(errors) == THREADS - 1 and all(isinstance(e, FuelInvalid) for e in errors), errors
    assert all("ticket" in e.details for e in errors if isinstance(e, FuelInvalid))
    # one sale, one issue of its litres, one audit event: the refused sales wrote nothing
    assert FuelSale.objects.count() == 1
    assert StockMove.objects.filter(from_location=tank.location).count() == 1
    assert tank_level(tank) == 4900
    assert AuditEvent.objects.filter(verb="sell_fuel").count() == 1
    assert AuditEvent.objects.filter(verb="issue_stock").count() == 1
    assert FuelQueueTicket.objects.get(pk=ticket.pk).served_at is not None


def test_deliveries_arriving_together_never_overfill_the_tank(tank, system):
    def body(i: int) -> None:
        actions.receive_fuel(tank, 4000, Decimal("7.20"), reference=f"中石化-{i}", actor=system)

    errors = run_threads(THREADS, body)
    # 5,000 L in a 20,000 L tank: three deliveries of 4,000 L fit, the fourth would overfill
    assert len(errors) == THREADS - 3 and all(isinstance(e, FuelInvalid) for e in errors), errors
    assert tank_level(tank) == 17000


def test_sales_together_never_take_more_than_the_tank_holds(tank, system):
    from baogong.inventory.errors import InsufficientStock

    def body(i: int) -> None:
        actions.sell_fuel(tank, f"沪A1000{i}", 900, Decimal("7.89"), actor=system)

    errors = run_threads(THREADS, body)
    # 5,000 L: five sales of 900 L fit, the other three are refused whole
    assert len(errors) == THREADS - 5 and all(isinstance(e, InsufficientStock) for e in errors), errors
    assert tank_level(tank) == 500 and FuelSale.objects.count() == 5
    assert StockMove.objects.filter(from_location=tank.location).count() == 5


def test_batches_together_serve_a_ticket_once_and_never_oversell(tank, system):
    """Shifts' batches (``sell_fuel_many``) racing on one tank and one ticket: the tank lock orders
    them, the ticket is served by one batch only, and the sales never take more than the tank holds."""
    ticket = actions.arrive_at_station(tank.station, "沪A77777", actor=system)
    results: list = []

    def body(i: int) -> None:
        sales = [
            actions.SaleInput(tank, "沪A77777", 100, Decimal("7.89"), ticket=ticket),
            actions.SaleInput(tank, f"沪A2000{i}", 900, Decimal("7.89")),
        ]
        results.extend(actions.sell_fuel_many(tank.station, sales, actor=system))

    errors = run_threads(THREADS, body)
    assert errors == []
    sold = [r for r in results if isinstance(r, FuelSale)]
    # one ticket sale of 100 L; 4,900 L left for the 900 L sales: five fit, the other three are refused
    assert sum(1 for s in sold if s.plate == "沪A77777") == 1
    assert sum(1 for s in sold if s.litres == 900) == 5
    assert tank_level(tank) == 400 and FuelSale.objects.count() == 6
    assert StockMove.objects.filter(from_location=tank.location).count() == 6
    assert AuditEvent.objects.filter(verb="sell_fuel").count() == 6


def test_tanks_of_one_grade_added_together_leave_one_tank_and_no_stray_location(base, system):
    """Two clerks adding the station's diesel tank at once (different tank codes): one tank, and the
    refused one leaves no bin location behind (the tank and its location are one transaction)."""
    from baogong.catalog.actions import create_item
    from baogong.fleet.models import FuelTank
    from baogong.inventory.models import Location

    diesel = create_item({"code": "FUEL-0D", "name": "0号柴油", "unit": "L"}, actor=system)
    station = Site.objects.get(code="FS-FH")

    def body(i: int) -> None:
        actions.create_tank(station, diesel, code=f"T{i}", capacity_litres=20000, low_level_litres=2000, actor=system)

    errors = run_threads(THREADS, body)
    assert len(errors) == THREADS - 1 and all(isinstance(e, FuelInvalid) for e in errors), errors
    assert all("item" in e.details for e in errors if isinstance(e, FuelInvalid))
    tank = FuelTank.objects.get(station=station)
    assert list(Location.objects.filter(site=station, code__startswith="TANK-").values_list("pk", flat=True)) == [
        tank.location_id
    ]
    assert AuditEvent.objects.filter(verb="create_location").count() == 1
