"""Every pharmacy action is one transaction: when its stock half fails, nothing of it is written —
no reservation, no order, no status change, no audit event — and the balances are unchanged."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from baogong.core.models import AuditEvent
from baogong.inventory import ledger
from baogong.inventory.choices import QcStatus
from baogong.inventory.models import Lot, Reservation, StockBalance, StockMove
from baogong.pharmacy import actions, queries
from baogong.pharmacy.errors import OutOfStock
from baogong.pharmacy.models import DrugDemand, Order, OrderLine, Settlement

from .conftest import photo


class Crash(RuntimeError):
    """Stands for anything failing half-way (a bug, a lost connection, a killed worker)."""


def crash(*_args: Any, **_kwargs: Any) -> Any:
    raise Crash("crash in the middle of the action")


def written() -> dict[str, Any]:
    """Everything an action could have written, to compare before and after."""
    return {
        "orders": sorted(Order.objects.values_list("pk", "status", "delivered_at", "reviewed_at")),
        "reservations": sorted(Reservation.objects.values_list("pk", "status", "qty")),
        "balances": sorted(StockBalance.objects.values_list("pk", "on_hand", "reserved")),
        "moves": StockMove.objects.count(),
        "settlements": sorted(Settlement.objects.values_list("pk", "status")),
        "prescriptions": sorted(Order.objects.values_list("prescriptions__pk", "prescriptions__status")),
        "demand": DrugDemand.objects.count(),
        "audit": sorted(AuditEvent.objects.values_list("pk", flat=True)),
    }


@pytest.fixture
def two_drugs(make_drug, stock, fees):
    a = make_drug("维生素C片", unit_price="5.00")
    b = make_drug("板蓝根颗粒", dosage_form="granule", unit_price="15.00")
    stock("PH-02", a, 5)
    stock("PH-01", b, 5)
    return a, b


def test_place_order_crashing_after_the_first_pharmacy_reserved_writes_nothing(
    two_drugs, order_input, system, monkeypatch
):
    a, b = two_drugs
    before = written()
    real = ledger.reserve_many
    calls: list[str] = []

    def second_crashes(warehouse, needs, *, actor):
        calls.append(warehouse.code)
        if len(calls) == 2:
            raise Crash("crash after the first pharmacy reserved")
        return real(warehouse, needs, actor=actor)

    monkeypatch.setattr(ledger, "reserve_many", second_crashes)
    # when a basket split over two pharmacies fails after the first reservation
    with pytest.raises(Crash):
        actions.place_order(order_input([(a, 1), (b, 2)]), actor=system)
    # then the first pharmacy's reservation went with it: nothing at all was written
    assert len(calls) == 2
    assert written() == before
    assert not AuditEvent.objects.filter(verb__in=["reserve_stock", "place_order"]).exists()


def test_place_order_crashing_after_reserving_leaves_no_orphan_reservation(two_drugs, order_input, system, monkeypatch):
    a, _b = two_drugs
    before = written()
    monkeypatch.setattr(OrderLine.objects, "bulk_create", crash)
    with pytest.raises(Crash):
        actions.place_order(order_input([(a, 2)], rx_warning_accepted=True, prescription_photo=photo()), actor=system)
    assert written() == before


def stale_plans(monkeypatch, stale_attempts):
    """The planner sees 5 more units than are left in its first ``stale_attempts`` plans (as if
    stock were taken between planning and reserving); answers the list of plans made so far."""
    real_plan = queries.plan_fulfilment
    plans: list[int] = []

    def plan_fulfilment(needs, lat, lon):
        plan, short = real_plan(needs, lat, lon)
        plans.append(1)
        if len(plans) <= stale_attempts:
            plan[0].lines = {k: q + 5 for k, q in plan[0].lines.items()}
        return plan, short

    monkeypatch.setattr(queries, "plan_fulfilment", plan_fulfilment)
    return plans


def test_stock_taken_between_planning_and_reserving_plans_again_in_a_new_transaction(
    two_drugs, order_input, system, monkeypatch
):
    a, _b = two_drugs
    plans = stale_plans(monkeypatch, 1)
    # when the first attempt finds the stock short under the lock
    orders = actions.place_order(order_input([(a, 2)]), actor=system)
    # then it rolled back whole and the second attempt placed the order with exactly its reservation
    assert len(plans) == 2
    assert [(o.pharmacy.code, o.status) for o in orders] == [("PH-02", "placed")]
    assert list(Reservation.objects.values_list("reference", "qty", "status")) == [(orders[0].number, 2, "active")]
    assert AuditEvent.objects.filter(verb="reserve_stock").count() == 1
    assert AuditEvent.objects.filter(verb="place_order").count() == 1
    assert DrugDemand.objects.count() == 0


def test_stock_that_keeps_being_taken_is_out_of_stock_after_bounded_attempts(
    two_drugs, order_input, system, monkeypatch
):
    a, _b = two_drugs
    plans = stale_plans(monkeypatch, actions.RESERVE_ATTEMPTS)
    before = written()
    with pytest.raises(OutOfStock):
        actions.place_order(order_input([(a, 2)]), actor=system)
    assert len(plans) == actions.RESERVE_ATTEMPTS
    assert written() == before


def test_out_of_stock_at_planning_still_records_the_demand_in_its_own_action(make_drug, order_input, system):
    a = make_drug("维生素C片")
    with pytest.raises(OutOfStock):
        actions.place_order(order_input([(a, 3)]), actor=system)
    assert list(DrugDemand.objects.values_list("drug_id", "qty")) == [(a.pk, 3)]
    assert AuditEvent.objects.filter(verb="record_drug_demand").count() == 1
    assert not Order.objects.exists() and not Reservation.objects.exists()


@pytest.fixture
def placed(make_drug, stock, order_input, system, fees):
    drug = make_drug("苯磺酸氨氯地平片", sale_class="rx", insurance_class="B", unit_price="33.33")
    stock("PH-02", drug, 10)
    return actions.place_order(
        order_input([(drug, 3)], rx_warning_accepted=True, prescription_photo=photo()), actor=system
    )[0]


def approve(order, user):
    actions.approve_order(order, check=rx_check(), actor=user("pharmacist"))
    order.refresh_from_db()
    return order


def rx_check():
    from .test_orders import check

    return check()


def test_approve_order_whose_pick_fails_leaves_the_order_placed_and_the_prescription_pending(placed, user, monkeypatch):
    before = written()
    monkeypatch.setattr(ledger, "move", crash)
    with pytest.raises(Crash):
        actions.approve_order(placed, check=rx_check(), actor=user("pharmacist"))
    assert written() == before
    placed.refresh_from_db()
    assert placed.status == "placed" and placed.prescriptions.get().status == "pending"


def test_approve_order_with_nothing_left_reserved_is_refused_whole(placed, user, system):
    # given QC quarantines the lot: its reservations are dropped
    from baogong.inventory.actions import set_lot_qc_status

    set_lot_qc_status(Lot.objects.get(), QcStatus.QUARANTINED, reason="抽检不合格", actor=system)
    before = written()
    # when the pharmacist approves, the pick finds nothing to move and is refused
    with pytest.raises(ledger.StockInvalid):
        actions.approve_order(placed, check=rx_check(), actor=user("pharmacist"))
    # then the approval and the prescription's use went with it (no undo event needed)
    assert written() == before


@pytest.mark.parametrize(
    ("refuse", "reason"),
    [(actions.reject_order, "处方不清晰"), (actions.cancel_order, "居民取消")],
    ids=["reject", "cancel"],
)
def test_a_placed_order_rejected_or_cancelled_whose_release_fails_writes_nothing(
    placed, user, monkeypatch, refuse, reason
):
    before = written()
    monkeypatch.setattr(ledger, "release_many", crash)
    with pytest.raises(Crash):
        refuse(placed, reason, actor=user("pharmacist"))
    assert written() == before


def test_cancel_of_an_approved_order_whose_return_fails_keeps_it_ready_and_paid(placed, user, monkeypatch):
    order = approve(placed, user)
    actions.settle_order(order, method="self_pay", actor=user("pharmacist"))
    before = written()
    monkeypatch.setattr(ledger, "move", crash)
    with pytest.raises(Crash):
        actions.cancel_order(order, "居民取消", actor=user("pharmacist"))
    assert written() == before
    assert Settlement.objects.get(order=order).status == "settled"


@pytest.fixture
def out_for_delivery(placed, user):
    order = approve(placed, user)
    actions.settle_order(order, method="self_pay", actor=user("pharmacist"))
    actions.dispatch_order(order, user("driver"), actor=user("pharmacist"))
    order.refresh_from_db()
    return order


def test_confirm_delivery_whose_stock_move_fails_stays_out_for_delivery(out_for_delivery, user, monkeypatch):
    order = out_for_delivery
    before = written()
    monkeypatch.setattr(ledger, "move", crash)
    with pytest.raises(Crash):
        actions.confirm_delivery(order, order.handover_code, actor=user("driver"))
    assert written() == before
    order.refresh_from_db()
    assert (order.status, order.delivered_at) == ("out_for_delivery", None)
    assert not AuditEvent.objects.filter(verb__in=["confirm_delivery", "undo_confirm_delivery"]).exists()


def test_confirm_delivery_moves_the_stock_in_the_same_transaction(out_for_delivery, user):
    order = out_for_delivery
    actions.confirm_delivery(order, order.handover_code, actor=user("driver"))
    order.refresh_from_db()
    assert order.status == "delivered"
    delivered = StockMove.objects.filter(document_id=order.pk, reason="delivery")
    assert sum(m.qty for m in delivered) == 3
    assert AuditEvent.objects.filter(verb="confirm_delivery", object_id=str(order.pk)).count() == 1


def test_record_delivery_failure_whose_return_fails_writes_nothing(out_for_delivery, user, monkeypatch):
    order = out_for_delivery
    before = written()
    monkeypatch.setattr(ledger, "move", crash)
    with pytest.raises(Crash):
        actions.record_delivery_failure(order, "无人应答", actor=user("driver"))
    assert written() == before
    settlement = Settlement.objects.get(order=order)
    assert (settlement.status, settlement.self_pay) == ("settled", Decimal("103.99"))
