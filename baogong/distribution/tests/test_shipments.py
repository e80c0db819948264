"""Shipments from confirmed allocations, the site/fleet refusals, dispatch and proof of delivery."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from baogong.core.models import AuditEvent
from baogong.distribution import actions
from baogong.distribution.actions import DeliveryLineInput
from baogong.distribution.choices import RequestStatus, ShipmentStatus
from baogong.distribution.errors import (
    DeliveryLinkInvalid,
    DispatchRefused,
    ShipmentInvalid,
    ShipmentStateInvalid,
)
from baogong.distribution.models import Discrepancy, Shipment
from baogong.fleet.tests.registered import registered_transport
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.inventory.models import Reservation, StockBalance
from baogong.inventory.queries import ledger_differences
from baogong.orgs.models import Site

from .conftest import SYSTEM, in_days


@pytest.fixture
def allocated(file, commander, txq, hospital, street, n95, rice):
    """TXQ holds N95 in two lots and rice; the hospital and the street office get everything."""
    for item, batch, qty, expiry, cost in [
        (n95, "EARLY", 40, in_days(30), "250.00"),
        (n95, "LATE", 100, in_days(400), "240.00"),
        (rice, "R1", 50, None, "60.00"),
    ]:
        inventory_actions.receive_stock(
            txq,
            [ReceiptLineInput(item=item, batch=batch, qty=qty, unit_cost=Decimal(cost), expiry=expiry)],
            actor=SYSTEM,
            qc_status="released",
        )
    hospital_request = actions.approve_request(
        file(hospital, (n95, 100, in_days(2)), (rice, 20, in_days(2))), actor=SYSTEM
    )
    street_request = actions.approve_request(file(street, (n95, 10, in_days(2))), actor=SYSTEM)
    actions.confirm_allocation(actions.preview_allocation([txq], actor=commander), actor=commander)
    return {"hospital": hospital_request, "street": street_request}


def balances():
    return {
        (b.location.code, b.lot.batch): (b.on_hand, b.reserved)
        for b in StockBalance.objects.select_related("location", "lot")
        if b.on_hand or b.reserved
    }


def test_plan_makes_one_shipment_per_warehouse_and_recipient_with_fefo_lines(allocated, commander):
    shipments = actions.plan_shipments(actor=commander)
    assert [(s.recipient.code, s.status) for s in shipments] == [
        ("FH-FCL", ShipmentStatus.PLANNED),
        ("SO-310113007", ShipmentStatus.PLANNED),
    ]
    hospital = shipments[0]
    assert sorted((li.item.code, li.lot.batch, li.qty) for li in hospital.lines.all()) == [
        ("N95", "EARLY", 40),
        ("N95", "LATE", 60),
        ("RICE", "R1", 20),
    ]
    assert actions.plan_shipments(actor=commander) == []  # nothing planned twice
    assert AuditEvent.objects.filter(verb="plan_shipment").count() == 2


def test_dispatcher_plans_only_for_own_company_warehouses(allocated, user):
    # TXQ belongs to 储运公司, the dispatcher's company
    assert len(actions.plan_shipments(actor=user("dispatcher"))) == 2
    assert actions.plan_shipments(actor=user("pharmacist")) == []


def test_full_journey_moves_stock_to_the_recipient(allocated, commander):
    shipment = actions.plan_shipments(actor=commander)[0]
    actions.pick_shipment(shipment, actor=commander)
    actions.load_shipment(shipment, actor=commander, **registered_transport())
    actions.dispatch_shipment(shipment, actor=commander)
    # then: lots left the bins for in-transit, reservations consumed
    assert balances()[("IN-TRANSIT", "EARLY")] == (40, 0)
    assert Reservation.objects.filter(reference__contains=allocated["hospital"].number, status="active").count() == 0
    allocated["hospital"].refresh_from_db()
    assert allocated["hospital"].status == RequestStatus.DISPATCHED
    # when the receiver confirms everything
    lines = list(shipment.lines.order_by("pk"))
    delivered = actions.record_delivery(
        shipment,
        [DeliveryLineInput(li.pk, li.qty) for li in lines],
        received_by="张护士长",
        receiver_phone="13800000000",
        client_token="tok-1",
        actor=SYSTEM,
    )
    assert delivered.status == ShipmentStatus.DELIVERED
    got = balances()
    assert got[("RECIPIENT", "EARLY")] == (40, 0) and got[("RECIPIENT", "LATE")] == (60, 0)
    assert ("IN-TRANSIT", "EARLY") not in got
    allocated["hospital"].refresh_from_db()
    assert allocated["hospital"].status == RequestStatus.DELIVERED
    assert [line.delivered_qty for line in allocated["hospital"].lines.order_by("id")] == [100, 20]
    assert ledger_differences() == []
    actions.close_shipment(delivered, actor=commander)
    with pytest.raises(DeliveryLinkInvalid):
        actions.shipment_for_delivery(delivered.pod_token)


@pytest.fixture
def in_transit(allocated, commander):
    shipment = actions.plan_shipments(actor=commander)[0]
    actions.pick_shipment(shipment, actor=commander)
    actions.load_shipment(shipment, actor=commander, **registered_transport())
    return actions.dispatch_shipment(shipment, actor=commander)


def test_shortage_and_damage_are_recorded_and_moved(in_transit):
    early, late, rice = sorted(in_transit.lines.select_related("lot"), key=lambda li: li.lot.batch)
    # EARLY 40: 38 accepted, 2 damaged; LATE 60: 55 accepted, 5 missing (back to the warehouse); rice all
    actions.record_delivery(
        in_transit,
        [DeliveryLineInput(early.pk, 38, 2), DeliveryLineInput(late.pk, 55), DeliveryLineInput(rice.pk, 20)],
        received_by="张护士长",
        receiver_phone="13800000000",
        client_token="tok-2",
        reason="2 boxes crushed, 5 not on the truck",
        actor=SYSTEM,
    )
    got = balances()
    assert got[("RECIPIENT", "EARLY")] == (38, 0)
    assert got[("LOSS", "EARLY")][0] == 2
    assert got[("MAIN", "LATE")] == (45, 10)  # 40 left + 5 returned; 10 still reserved for the street
    assert sorted(
        (d.line.lot.batch, d.kind, d.qty, d.disposition) for d in Discrepancy.objects.select_related("line__lot")
    ) == [
        ("EARLY", "damage", 2, "loss"),
        ("LATE", "shortage", 5, "return"),
    ]
    assert ledger_differences() == []


def test_a_retried_delivery_is_recorded_once(in_transit):
    args = dict(received_by="张", receiver_phone="13800000000", client_token="same", actor=SYSTEM)
    lines = [DeliveryLineInput(li.pk, li.qty) for li in in_transit.lines.all()]
    actions.record_delivery(in_transit, lines, **args)
    before = balances()
    again = actions.record_delivery(in_transit, lines, **args)
    assert again.status == ShipmentStatus.DELIVERED
    assert balances() == before
    assert AuditEvent.objects.filter(verb="record_delivery").count() == 1
    with pytest.raises(ShipmentStateInvalid):
        actions.record_delivery(in_transit, lines, **{**args, "client_token": "other"})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"received_by": ""}, "received_by"),
        ({"receiver_phone": "123"}, "receiver_phone"),
        ({"client_token": ""}, "client_token"),
        ({"short": True}, "reason"),
        ({"too_many": True}, "lines."),
        ({"missing_line": True}, "lines"),
    ],
)
def test_bad_delivery_is_refused_and_writes_nothing(in_transit, change, field):
    lines = [DeliveryLineInput(li.pk, li.qty) for li in in_transit.lines.order_by("pk")]
    if change.pop("short", False):
        lines[0] = DeliveryLineInput(lines[0].line_id, lines[0].received - 1)
    if change.pop("too_many", False):
        lines[0] = DeliveryLineInput(lines[0].line_id, lines[0].received + 1)
    if change.pop("missing_line", False):
        lines = lines[1:]
    kwargs = {"received_by": "张", "receiver_phone": "13800000000", "client_token": "t", "actor": SYSTEM, **change}
    before = balances()
    with pytest.raises(ShipmentInvalid) as exc:
        actions.record_delivery(in_transit, lines, **kwargs)
    assert any(key.startswith(field) for key in exc.value.details)
    in_transit.refresh_from_db()
    assert in_transit.status == ShipmentStatus.IN_TRANSIT
    assert balances() == before


@pytest.mark.parametrize(
    ("site", "status"), [("recipient", "locked_down"), ("warehouse", "locked_down"), ("warehouse", "under_control")]
)
def test_loading_is_refused_for_locked_sites(allocated, commander, site, status):
    shipment = actions.pick_shipment(actions.plan_shipments(actor=commander)[0], actor=commander)
    target = shipment.recipient if site == "recipient" else shipment.warehouse
    Site.objects.filter(pk=target.pk).update(status=status)
    with pytest.raises(DispatchRefused) as exc:
        actions.load_shipment(shipment, actor=commander, **registered_transport())
    assert len(exc.value.details["reasons"]) == 1
    assert len(exc.value.details[site]) == 1
    shipment.refresh_from_db()
    assert (shipment.status, shipment.vehicle_plate, shipment.vehicle_id) == (ShipmentStatus.PICKED, "", None)


def test_steps_out_of_order_are_refused(allocated, commander):
    shipment = actions.plan_shipments(actor=commander)[0]
    with pytest.raises(ShipmentStateInvalid):
        actions.load_shipment(shipment, actor=commander)
    with pytest.raises(ShipmentStateInvalid):
        actions.dispatch_shipment(shipment, actor=commander)


def test_split_and_merge(allocated, commander):
    shipment = actions.plan_shipments(actor=commander)[0]
    rice_line = shipment.lines.get(item__code="RICE")
    new = actions.split_shipment(shipment, [rice_line.pk], actor=commander)
    assert list(new.lines.values_list("item__code", flat=True)) == ["RICE"]
    assert shipment.lines.count() == 2
    with pytest.raises(ShipmentInvalid):
        actions.split_shipment(shipment, [li.pk for li in shipment.lines.all()], actor=commander)
    merged = actions.merge_shipments(shipment, new, actor=commander)
    assert merged.lines.count() == 3
    assert not Shipment.objects.filter(pk=new.pk).exists()


def test_cancel_is_refused_once_goods_are_on_a_shipment(allocated, commander):
    actions.plan_shipments(actor=commander)
    with pytest.raises(Exception) as exc:
        actions.cancel_request(allocated["hospital"], reason="x", actor=commander)
    assert getattr(exc.value, "code", "") == "request_state_invalid"


def test_delivery_value_of_unit_costs(in_transit):
    actions.record_delivery(
        in_transit,
        [DeliveryLineInput(li.pk, li.qty) for li in in_transit.lines.all()],
        received_by="张",
        receiver_phone="13800000000",
        client_token="v",
        actor=SYSTEM,
    )
    from baogong.distribution.queries import delivered_totals

    today = dt.date.today()
    totals = delivered_totals(today, today)
    assert totals == {"items": 120, "value": Decimal("40") * 250 + Decimal("60") * 240 + Decimal("20") * 60}


def test_a_refused_load_is_kept_as_a_held_dispatch_with_its_reasons(allocated, commander):
    from baogong.distribution.models import DispatchHold

    shipment = actions.pick_shipment(actions.plan_shipments(actor=commander)[0], actor=commander)
    Site.objects.filter(pk=shipment.warehouse_id).update(status="under_control")
    with pytest.raises(DispatchRefused) as exc:
        actions.load_shipment(shipment, actor=commander, **registered_transport())
    hold = DispatchHold.objects.get()
    assert (hold.shipment_id, hold.stage, hold.reasons) == (shipment.pk, "load", exc.value.details["reasons"])
    assert hold.actor == commander
    assert AuditEvent.objects.filter(verb="hold_dispatch", object_id=str(hold.pk)).count() == 1
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PICKED  # the refusal itself still changed nothing


def test_a_load_that_goes_through_leaves_no_hold(allocated, commander):
    from baogong.distribution.models import DispatchHold

    shipment = actions.pick_shipment(actions.plan_shipments(actor=commander)[0], actor=commander)
    actions.load_shipment(shipment, actor=commander, **registered_transport())
    assert not DispatchHold.objects.exists()
