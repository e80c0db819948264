"""A day's shipments at once (``pick_shipments``, ``ship_shipments``, ``record_deliveries``,
``close_shipments``): the same states, holds, ledger moves and audit events as one at a time."""

from __future__ import annotations

import pytest
from django.utils import translation

from baogong.core.models import AuditEvent
from baogong.distribution import actions
from baogong.distribution.actions import DeliveryInput, DeliveryLineInput
from baogong.distribution.choices import RequestStatus, ShipmentStatus
from baogong.distribution.errors import ShipmentInvalid, ShipmentStateInvalid
from baogong.distribution.models import Discrepancy, DispatchHold, Shipment
from baogong.fleet.tests.registered import registered_driver, registered_transport, registered_vehicle
from baogong.inventory.choices import LocationKind
from baogong.inventory.models import StockBalance, StockMove
from baogong.inventory.queries import ledger_differences
from baogong.orgs.models import AdministrativeArea, Site

from .conftest import SYSTEM
from .test_shipments import allocated, balances  # noqa: F401 - fixtures


@pytest.fixture
def picked(allocated, commander):  # noqa: F811 - the fixture imported above
    shipments = actions.plan_shipments(actor=commander)
    assert actions.pick_shipments(shipments, actor=commander) == 2
    return list(Shipment.objects.filter(pk__in=[s.pk for s in shipments]).order_by("pk"))


def _transport(shipments):
    chosen = registered_transport()
    return {s.pk: (chosen["vehicle_id"], chosen["driver_id"]) for s in shipments}


def test_shipping_a_day_at_once_moves_each_shipment_to_transit_and_audits_each(picked, commander):
    result = actions.ship_shipments(picked, actor=commander, transport=_transport(picked))

    assert [s.pk for s in result.dispatched] == [s.pk for s in picked]
    assert result.held == []
    assert set(Shipment.objects.values_list("status", flat=True)) == {ShipmentStatus.IN_TRANSIT}
    assert set(Shipment.objects.values_list("vehicle_plate", "driver_name")) == {("沪A12345", "李师傅")}
    # each shipment's own moves, reference and audit events, as the one-shipment actions leave them
    for shipment in picked:
        moves = StockMove.objects.filter(document_type="shipment", document_id=shipment.pk, reason="shipment")
        assert sorted(m.qty for m in moves) == sorted(li.qty for li in shipment.lines.all())
        assert {m.reference for m in moves} == {shipment.number}
    for verb in ("pick_shipment", "load_shipment", "dispatch_shipment"):
        assert sorted(AuditEvent.objects.filter(verb=verb).values_list("object_id", flat=True)) == sorted(
            str(s.pk) for s in picked
        )
    assert AuditEvent.objects.filter(verb="move_stock", object_repr__contains="SH").count() == 2
    in_transit = StockBalance.objects.filter(location__kind=LocationKind.IN_TRANSIT)
    assert sum(b.on_hand for b in in_transit) == 130 and not any(b.reserved for b in in_transit)
    assert set(Shipment.objects.values_list("recipient__code", flat=True)) == {"FH-FCL", "SO-310113007"}
    assert ledger_differences() == []
    assert all(
        r.status == RequestStatus.DISPATCHED for r in {li.request_line.request for s in picked for li in s.lines.all()}
    )


def test_a_shipment_the_checks_refuse_is_held_and_the_others_leave(picked, commander):
    street = Site.objects.get(code="SO-310113007")
    Site.objects.filter(pk=street.pk).update(status="locked_down")
    before = balances()

    result = actions.ship_shipments(picked, actor=commander, transport=_transport(picked))

    [left] = result.dispatched
    [(held, reasons)] = result.held
    assert left.recipient.code == "FH-FCL" and held.recipient_id == street.pk
    assert Shipment.objects.get(pk=held.pk).status == ShipmentStatus.PICKED
    hold = DispatchHold.objects.get()
    assert (hold.shipment_id, hold.stage, hold.reasons) == (held.pk, "load", reasons)
    assert not StockMove.objects.filter(document_type="shipment", document_id=held.pk).exists()
    assert balances() != before
    assert ledger_differences() == []


def test_transport_that_is_not_registered_refuses_the_batch_and_writes_nothing(picked, commander):
    before = balances()
    transport = {s.pk: (999_999, None) for s in picked}

    with pytest.raises(ShipmentInvalid) as exc:
        actions.ship_shipments(picked, actor=commander, transport=transport)

    assert set(exc.value.details["shipments"]) == {s.number for s in picked}
    assert set(Shipment.objects.values_list("status", flat=True)) == {ShipmentStatus.PICKED}
    assert balances() == before
    assert not AuditEvent.objects.filter(verb__in=["load_shipment", "dispatch_shipment"]).exists()


def test_picking_a_shipment_twice_refuses_the_batch(picked, commander):
    with pytest.raises(ShipmentStateInvalid):
        actions.pick_shipments(picked, actor=commander)
    assert AuditEvent.objects.filter(verb="pick_shipment").count() == 2


@pytest.fixture
def shipped(picked, commander):
    actions.ship_shipments(picked, actor=commander, transport=_transport(picked))
    return list(Shipment.objects.order_by("pk"))


def _deliveries(shipments, short_reason="到货短少"):
    out = []
    for n, shipment in enumerate(shipments):
        lines = [
            DeliveryLineInput(li.pk, li.qty - (1 if n == 0 and k == 0 else 0))
            for k, li in enumerate(shipment.lines.order_by("pk"))
        ]
        out.append(
            DeliveryInput(
                shipment,
                lines,
                received_by="收货员",
                receiver_phone="13600000000",
                client_token=f"t-{shipment.pk}",
                reason=short_reason if n == 0 else "",
            )
        )
    return out


def test_recording_a_day_of_deliveries_then_closing_them(shipped, commander):
    done = actions.record_deliveries(_deliveries(shipped), actor=SYSTEM)

    assert [s.pk for s in done] == [s.pk for s in shipped]
    assert set(Shipment.objects.values_list("status", flat=True)) == {ShipmentStatus.DELIVERED}
    [missing] = Discrepancy.objects.all()
    assert (missing.kind, missing.qty, missing.disposition) == ("shortage", 1, "return")
    assert AuditEvent.objects.filter(verb="record_delivery").count() == 2
    assert ledger_differences() == []
    # the same submissions again change nothing
    assert actions.record_deliveries(_deliveries(shipped), actor=SYSTEM) == []
    assert AuditEvent.objects.filter(verb="record_delivery").count() == 2

    assert actions.close_shipments(done, actor=commander) == 2
    assert set(Shipment.objects.values_list("status", flat=True)) == {ShipmentStatus.CLOSED}
    assert AuditEvent.objects.filter(verb="close_shipment").count() == 2


def test_a_bad_delivery_refuses_the_whole_batch(shipped):
    before = balances()

    with pytest.raises(ShipmentInvalid) as exc:
        actions.record_deliveries(_deliveries(shipped, short_reason=""), actor=SYSTEM)

    assert list(exc.value.details["shipments"]) == [shipped[0].number]
    assert set(Shipment.objects.values_list("status", flat=True)) == {ShipmentStatus.IN_TRANSIT}
    assert balances() == before
    assert not Discrepancy.objects.exists()


def _assign(shipments, *transports):
    """Give each shipment its vehicle and driver (as a load form would), without loading it."""
    for shipment, (vehicle, driver) in zip(shipments, transports, strict=True):
        Shipment.objects.filter(pk=shipment.pk).update(vehicle_id=vehicle.pk, driver_id=driver.pk)
    return list(
        Shipment.objects.filter(pk__in=[s.pk for s in shipments]).select_related("warehouse", "recipient__area")
    )


def test_the_batch_transport_checks_answer_what_each_shipment_alone_answers(picked, commander):
    street = Site.objects.get(code="SO-310113007")
    elsewhere = AdministrativeArea.objects.exclude(level="district").exclude(pk=street.area_id)
    narrow = registered_vehicle("沪A54321", pass_areas=elsewhere.exclude(pk=street.area.parent_id)[:1])
    untested = registered_driver("王师傅", tested=False)
    wide, cleared = registered_vehicle(), registered_driver()
    for pairs in [(narrow, cleared), (wide, untested)], [(narrow, untested), (narrow, untested)]:
        shipments = _assign(picked, *pairs)
        with translation.override("en"):
            alone = {s.pk: actions.transport_refusals(s, actor=commander) for s in shipments}
            together = actions.transport_refusals_many(shipments, actor=commander)
        assert together == alone
    assert any("no valid pass covers" in r for r in alone[picked[1].pk]["vehicle_id"])
    assert "no valid negative test" in alone[picked[0].pk]["driver_id"][0]


def test_a_shipment_whose_driver_is_not_cleared_is_held_and_the_other_leaves(picked, commander):
    vehicle, untested, cleared = registered_vehicle(), registered_driver("王师傅", tested=False), registered_driver()
    transport = {picked[0].pk: (vehicle.pk, untested.pk), picked[1].pk: (vehicle.pk, cleared.pk)}

    with translation.override("en"):
        result = actions.ship_shipments(picked, actor=commander, transport=transport)

    assert [s.pk for s in result.dispatched] == [picked[1].pk]
    [(held, reasons)] = result.held
    assert held.pk == picked[0].pk and "no valid negative test" in reasons[0]
    assert Shipment.objects.get(pk=picked[0].pk).status == ShipmentStatus.PICKED
    assert DispatchHold.objects.get().shipment_id == picked[0].pk
    assert AuditEvent.objects.filter(verb="dispatch_shipment").values_list("object_id", flat=True).get() == str(
        picked[1].pk
    )
    assert ledger_differences() == []


def _mixed(shipments):
    """Deliveries with every kind of line: in full, one short, one damaged (the first shipment's)."""
    out = []
    for n, shipment in enumerate(shipments):
        lines = []
        for k, li in enumerate(shipment.lines.order_by("pk")):
            short, damaged = (1, 0) if (n, k) == (0, 0) else ((0, 1) if (n, k) == (0, 1) else (0, 0))
            lines.append(DeliveryLineInput(li.pk, li.qty - short - damaged, damaged))
        out.append(
            DeliveryInput(
                shipment,
                lines,
                received_by=f"收货员{n}",
                receiver_phone="13600000000",
                client_token=f"t-{shipment.pk}",
                reason="到货短少" if n == 0 else "",
                note=f"第{n}车",
            )
        )
    return out


@pytest.mark.parametrize("batch", [False, True])
def test_the_delivery_batch_leaves_what_each_delivery_alone_leaves(shipped, commander, batch):
    deliveries = _mixed(shipped)
    assert any(len(d.lines) > 1 for d in deliveries[:1]), "the first shipment has a short and a damaged line"
    # when the day's deliveries are recorded at once, or one by one, then closed the same way
    if batch:
        actions.record_deliveries(deliveries, actor=SYSTEM)
        assert actions.close_shipments(shipped, actor=commander) == len(shipped)
    else:
        for d in deliveries:
            actions.record_delivery(
                d.shipment,
                d.lines,
                received_by=d.received_by,
                receiver_phone=d.receiver_phone,
                client_token=d.client_token,
                reason=d.reason,
                note=d.note,
                actor=SYSTEM,
            )
        for shipment in shipped:
            actions.close_shipment(shipment, actor=commander)
    # then each line holds what was received and damaged, each shipment its receiver, token and stamps
    for d in deliveries:
        for given in d.lines:
            line = d.shipment.lines.get(pk=given.line_id)
            assert (line.received_qty, line.damaged_qty) == (given.received, given.damaged)
        shipment = Shipment.objects.get(pk=d.shipment.pk)
        assert (shipment.status, shipment.received_by, shipment.delivery_client_token, shipment.delivery_note) == (
            ShipmentStatus.CLOSED,
            d.received_by,
            d.client_token,
            d.note,
        )
        assert shipment.delivered_at and shipment.closed_at and shipment.updated_at >= shipment.closed_at
    assert sorted(Discrepancy.objects.values_list("kind", "qty")) == [("damage", 1), ("shortage", 1)]
    for verb in ("record_delivery", "close_shipment"):
        assert sorted(AuditEvent.objects.filter(verb=verb).values_list("object_id", "before")) == sorted(
            (str(s.pk), {"status": "in_transit" if verb == "record_delivery" else "delivered"}) for s in shipped
        )
    assert ledger_differences() == []
