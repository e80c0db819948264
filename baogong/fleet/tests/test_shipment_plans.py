"""Planning from the distribution app's shipments, and distribution asking the fleet before loading."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from baogong.catalog import actions as catalog_actions
from baogong.distribution import actions as distribution_actions
from baogong.distribution.actions import LineInput
from baogong.distribution.models import Shipment
from baogong.fleet import actions
from baogong.fleet.errors import PlanInvalid
from baogong.fleet.shipments import open_shipments, shipment_stop
from baogong.fleet.tasks import run_plan
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs.models import Site


@pytest.fixture
def shipments(base, system, user):
    txq = Site.objects.get(code="WH-TXQ")
    rice = catalog_actions.create_item(
        {"code": "RICE", "name": "大米 25kg", "unit": "袋", "weight_kg": Decimal("25"), "volume_m3": Decimal("0.04")},
        actor=system,
    )
    inventory_actions.receive_stock(
        txq,
        [ReceiptLineInput(item=rice, batch="R1", qty=200, unit_cost=Decimal("60"))],
        actor=system,
        qc_status="released",
    )
    needed = timezone.localdate() + dt.timedelta(days=2)
    for code, qty in [("FH-FCL", 30), ("EH-TY", 12), ("HT-WYN", 8)]:
        request = distribution_actions.file_request(
            Site.objects.get(code=code), [LineInput(item=rice, qty=qty, needed_by=needed)], actor=system, submit=True
        )
        distribution_actions.approve_request(request, actor=system)
    commander = user("commander")
    distribution_actions.confirm_allocation(
        distribution_actions.preview_allocation([txq], actor=commander), actor=commander
    )
    return distribution_actions.plan_shipments(actor=commander)


def test_open_shipments_become_stops_with_demand_from_pack_data(shipments):
    txq = Site.objects.get(code="WH-TXQ")
    stops = {s.site.code: s for s in (shipment_stop(x) for x in open_shipments([txq.pk]))}
    assert set(stops) == {"FH-FCL", "EH-TY", "HT-WYN"}
    assert (stops["FH-FCL"].demand_kg, stops["FH-FCL"].demand_litres, stops["FH-FCL"].demand_cases) == (750, 1200, 30)
    assert stops["EH-TY"].shipment.recipient.code == "EH-TY"


def test_plan_from_shipments_loads_each_at_its_warehouse(shipments, cygs, make_vehicle, user):
    txq_truck = make_vehicle("沪A10001", capacity_kg=1000)
    by_truck = make_vehicle("沪A10002", capacity_kg=1000, home_depot=Site.objects.get(code="WH-BY"))
    txq = Site.objects.get(code="WH-TXQ")
    stops = [shipment_stop(s) for s in open_shipments([txq.pk])]
    plan = actions.create_plan(
        cygs, timezone.localdate(), [txq_truck, by_truck], stops, options={"time_limit_s": 1}, actor=user("dispatcher")
    )
    run_plan(plan)
    plan.refresh_from_db()
    # the 北翼 truck is not used: every shipment leaves from 泰兴桥
    assert [r.vehicle.plate for r in plan.routes.all()] == ["沪A10001"]
    route = plan.routes.get()
    served = {s.site.code for s in route.stops.all()}
    unassigned = {s.site.code for s in plan.stops.filter(route__isnull=True)}
    assert served | unassigned == {"FH-FCL", "EH-TY", "HT-WYN"}
    assert route.load_kg <= 1000 and unassigned  # 1,250 kg do not fit one 1,000 kg truck
    assert {s.shipment_id for s in plan.stops.all()} == {s.pk for s in shipments}


def test_shipment_from_a_depot_without_vehicle_is_refused(shipments, cygs, make_vehicle, user):
    by_truck = make_vehicle("沪A10002", home_depot=Site.objects.get(code="WH-BY"))
    txq = Site.objects.get(code="WH-TXQ")
    with pytest.raises(PlanInvalid) as exc:
        actions.create_plan(
            cygs,
            timezone.localdate(),
            [by_truck],
            [shipment_stop(s) for s in open_shipments([txq.pk])],
            actor=user("dispatcher"),
        )
    assert "stops" in exc.value.details


def test_distribution_refuses_to_load_a_vehicle_whose_pass_expired(shipments, make_vehicle, make_pass, make_driver):
    vehicle = make_vehicle()
    make_pass(vehicle, valid_from=timezone.localdate() - dt.timedelta(days=20), days=7)
    driver = make_driver()
    shipment = Shipment.objects.get(recipient__code="EH-TY")
    shipment.vehicle_id = vehicle.pk
    shipment.driver_id = driver.pk
    with translation.override("en"):
        reasons = distribution_actions.dispatch_refusals(shipment)
    expired = (timezone.localdate() - dt.timedelta(days=14)).isoformat()
    assert f"Vehicle 沪A12345: pass 310113000001 expired on {expired}." in reasons
