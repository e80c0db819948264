"""A shift's sales in one call (``sell_fuel_many``): the same sales, refusals, ledger issues, audit
events and low-tank alert as selling them one by one; a refused sale does not stop the others."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from baogong.core.errors import DomainError, NotFound
from baogong.core.models import AuditEvent, Notification
from baogong.fleet import actions
from baogong.fleet.errors import FuelInvalid
from baogong.fleet.models import FuelSale
from baogong.fleet.queries import tank_level
from baogong.inventory.errors import InsufficientStock
from baogong.inventory.models import StockMove
from baogong.orgs.models import Site

PRICE = Decimal("7.89")


@pytest.fixture
def station(base):
    return Site.objects.get(code="FS-FH")


@pytest.fixture
def make_tank(station, system):
    from baogong.catalog.actions import create_item

    def make(code: str):
        fuel = create_item({"code": f"FUEL-{code}", "name": f"{code}号柴油", "unit": "L"}, actor=system)
        tank = actions.create_tank(station, fuel, code=code, capacity_litres=20000, low_level_litres=2000, actor=system)
        actions.receive_fuel(tank, 5000, Decimal("7.20"), reference=f"中石化-{code}", actor=system)
        return tank

    return make


def _inputs(station, tank, system, supply_vehicle=None):
    """Five sales: two fine, one past the low level, one larger than the tank, one on a ticket
    already served by the first sale, one more after the refusals."""
    at = timezone.now()
    ticket = actions.arrive_at_station(station, "沪A66666" if supply_vehicle else "沪C11111", actor=system, at=at)
    return [
        actions.SaleInput(tank, "沪b1", 2900, PRICE, ticket=ticket, at=at),
        actions.SaleInput(tank, "沪B2", 200, PRICE, at=at),
        actions.SaleInput(tank, "沪B3", 9999, PRICE, at=at),
        actions.SaleInput(tank, "沪B4", 50, PRICE, ticket=ticket, at=at),
        actions.SaleInput(tank, "沪B5", 100, PRICE, at=at),
        actions.SaleInput(tank, " ", 0, PRICE, at=at),
    ]


def _one_by_one(sales, system):
    results = []
    for s in sales:
        try:
            results.append(
                actions.sell_fuel(s.tank, s.plate, s.litres, s.unit_price, ticket=s.ticket, at=s.at, actor=system)
            )
        except DomainError as exc:
            results.append(exc)
    return results


def _summary(tank, results):
    sales = [r for r in results if isinstance(r, FuelSale)]
    pks = [str(s.pk) for s in sales]
    notes = Notification.objects.filter(title__contains=f"{tank.code} ")
    tank.refresh_from_db()
    return {
        "results": [
            (r.plate, r.litres, r.amount, r.green_channel, r.slot, r.issue.reference.split("-")[2])
            if isinstance(r, FuelSale)
            else (type(r).__name__, sorted(getattr(r, "details", {}) or {}))
            for r in results
        ],
        "stored": list(FuelSale.objects.filter(tank=tank).order_by("pk").values_list("plate", "litres", "amount")),
        "level": tank_level(tank),
        "issued": sorted(StockMove.objects.filter(from_location=tank.location).values_list("qty", flat=True)),
        "audit": AuditEvent.objects.filter(verb="sell_fuel", object_id__in=pks).count(),
        "alerts": [n.title.replace(tank.code, "T") for n in notes],
        "alert_audit": AuditEvent.objects.filter(verb="send_low_tank_alert", object_id=str(tank.pk)).count(),
        "low_alert_sent": tank.low_alert_sent,
    }


def test_a_batch_sells_what_selling_one_by_one_sells(station, make_tank, system):
    each, bulk = make_tank("EA"), make_tank("BU")
    one_by_one = _summary(each, _one_by_one(_inputs(station, each, system), system))
    batch = _summary(bulk, actions.sell_fuel_many(station, _inputs(station, bulk, system), actor=system))
    assert batch == one_by_one
    # the refusals did not stop the sales after them
    assert [r[0] for r in batch["results"]] == [
        "沪B1",
        "沪B2",
        "InsufficientStock",
        "FuelInvalid",
        "沪B5",
        "FuelInvalid",
    ]
    assert batch["level"] == 1800 and batch["issued"] == [100, 200, 2900]
    assert batch["audit"] == 3 and batch["alert_audit"] == 1 and batch["low_alert_sent"]
    assert len(batch["alerts"]) == 1 and "1900" in batch["alerts"][0]


def test_a_batch_of_another_station_or_scope_is_refused(station, make_tank, system, user):
    tank = make_tank("EA")
    other = Site.objects.get(code="FS-CD") if Site.objects.filter(code="FS-CD").exists() else None
    if other is not None:
        [refused] = actions.sell_fuel_many(other, [actions.SaleInput(tank, "沪B1", 10, PRICE)], actor=system)
        assert isinstance(refused, FuelInvalid)
    with pytest.raises(NotFound):
        actions.sell_fuel_many(station, [actions.SaleInput(tank, "沪B1", 10, PRICE)], actor=user("pharmacist"))
    assert FuelSale.objects.count() == 0 and tank_level(tank) == 5000


def test_a_sale_short_of_fuel_writes_nothing_of_itself(station, make_tank, system):
    tank = make_tank("EA")
    [short, sold] = actions.sell_fuel_many(
        station,
        [actions.SaleInput(tank, "沪B1", 5001, PRICE), actions.SaleInput(tank, "沪B2", 10, PRICE)],
        actor=system,
    )
    assert isinstance(short, InsufficientStock) and isinstance(sold, FuelSale)
    assert StockMove.objects.filter(from_location=tank.location).count() == 1 and tank_level(tank) == 4990
