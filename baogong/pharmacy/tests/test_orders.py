"""A resident's order from basket to doorstep, through the real ledger actions."""

import datetime as dt
from decimal import Decimal

import pytest

from baogong.core.models import AuditEvent
from baogong.inventory.choices import ReservationStatus
from baogong.inventory.models import Reservation, StockBalance
from baogong.inventory.queries import available
from baogong.orgs.models import Site
from baogong.pharmacy import actions
from baogong.pharmacy.actions import PrescriptionCheck
from baogong.pharmacy.errors import (
    DrugBannedOnline,
    HandoverCodeWrong,
    OrderInvalid,
    OrderStateInvalid,
    OutOfStock,
    PrescriptionRefused,
    PrescriptionReused,
)
from baogong.pharmacy.models import DrugDemand, Order, Prescription, Settlement

from .conftest import photo, today


def site(code):
    return Site.objects.get(code=code)


def avail(code, drug):
    return available([site(code).pk], [drug.item_id]).get((site(code).pk, drug.item_id), 0)


def check(**extra):
    values = {
        "number": "RX-0001",
        "issuer": "宝山区中心医院",
        "patient_name": "张三",
        "issued_on": today(),
        "supply_days": 7,
        **extra,
    }
    return PrescriptionCheck(**values)


@pytest.fixture
def otc_rx(make_drug, stock, fees):
    otc = make_drug("布洛芬缓释胶囊", sale_class="otc_b", insurance_class="A", unit_price="12.50")
    rx = make_drug("苯磺酸氨氯地平片", sale_class="rx", insurance_class="B", unit_price="33.33")
    for code in ("PH-01", "PH-02"):
        stock(code, otc, 10)
        stock(code, rx, 10)
    return otc, rx


def test_order_goes_to_the_nearest_pharmacy_that_can_fill_it_and_reserves_stock(otc_rx, order_input, system):
    otc, rx = otc_rx
    # when a resident of 友谊路 orders an OTC and a prescription drug with a photo
    orders = actions.place_order(
        order_input([(otc, 2), (rx, 1)], rx_warning_accepted=True, prescription_photo=photo()), actor=system
    )
    # then one order at PH-02 (at the street's centre) holds both lines, reserved there
    assert len(orders) == 1
    order = orders[0]
    assert order.pharmacy.code == "PH-02" and order.status == "placed"
    assert order.phone_masked == "138****5678"
    assert [(line.drug_id, line.qty, line.unit_price) for line in order.lines.all()] == [
        (otc.pk, 2, Decimal("12.50")),
        (rx.pk, 1, Decimal("33.33")),
    ]
    assert (avail("PH-02", otc), avail("PH-02", rx), avail("PH-01", otc)) == (8, 9, 10)
    assert order.total == Decimal("62.33")  # 25.00 + 33.33 + 3.00 delivery + 1.00 packaging
    assert order.prescriptions.get().fingerprint
    assert AuditEvent.objects.filter(verb="place_order", object_id=str(order.pk)).count() == 1


def test_basket_is_split_when_no_single_pharmacy_can_fill_it(make_drug, stock, order_input, system, fees):
    a = make_drug("维生素C片", unit_price="5.00")
    b = make_drug("板蓝根颗粒", dosage_form="granule", unit_price="15.00")
    stock("PH-02", a, 5)
    stock("PH-01", b, 5)
    orders = actions.place_order(order_input([(a, 1), (b, 2)]), actor=system)
    assert sorted((o.pharmacy.code, o.number.endswith(("-1", "-2"))) for o in orders) == [
        ("PH-01", True),
        ("PH-02", True),
    ]
    assert len({o.basket for o in orders}) == 1
    assert sum(o.fees for o in orders) == Decimal("4.00")


def test_out_of_stock_writes_no_order_and_records_the_demand(make_drug, stock, order_input, system):
    a = make_drug("维生素C片")
    stock("PH-02", a, 1)
    with pytest.raises(OutOfStock) as exc:
        actions.place_order(order_input([(a, 3)]), actor=system)
    assert exc.value.lines == [{"drug": a.item.code, "name": str(a), "requested": 3, "available": 1}]
    assert Order.objects.count() == 0
    assert Reservation.objects.count() == 0
    assert list(DrugDemand.objects.values_list("drug_id", "qty")) == [(a.pk, 3)]


def test_banned_drug_cannot_be_ordered_and_the_reason_is_given(make_drug, stock, order_input, system):
    banned = make_drug("华法林钠", sale_class="rx")
    stock("PH-02", banned, 5)
    with pytest.raises(DrugBannedOnline) as exc:
        actions.place_order(
            order_input([(banned, 1)], rx_warning_accepted=True, prescription_photo=photo()), actor=system
        )
    assert "华法林钠" in exc.value.details["lines"][0]
    assert Order.objects.count() == 0 and Reservation.objects.count() == 0


def test_prescription_drug_needs_photo_and_accepted_warning(otc_rx, order_input, system):
    _otc, rx = otc_rx
    with pytest.raises(OrderInvalid) as exc:
        actions.place_order(order_input([(rx, 1)]), actor=system)
    assert set(exc.value.details) == {"rx_warning_accepted", "prescription_photo"}
    with pytest.raises(OrderInvalid) as exc:
        actions.place_order(
            order_input([(rx, 1)], rx_warning_accepted=True, prescription_photo=photo(b"GIF89a....", "x.gif")),
            actor=system,
        )
    assert set(exc.value.details) == {"prescription_photo"}
    assert Order.objects.count() == 0 and Reservation.objects.count() == 0


def test_bad_address_and_phone_are_field_errors(otc_rx, order_input, system):
    otc, _rx = otc_rx
    with pytest.raises(OrderInvalid) as exc:
        actions.place_order(order_input([(otc, 1)], phone="12345", compound=" ", room=""), actor=system)
    assert set(exc.value.details) == {"phone", "compound", "room"}


def place_rx(otc_rx, order_input, system, **extra):
    otc, rx = otc_rx
    return actions.place_order(
        order_input([(otc, 2), (rx, 1)], rx_warning_accepted=True, prescription_photo=photo(), **extra), actor=system
    )[0]


def test_pharmacist_approves_then_stock_is_picked_and_prescription_used(otc_rx, order_input, system, user):
    otc, rx = otc_rx
    order = place_rx(otc_rx, order_input, system)
    pharmacist = user("pharmacist")
    actions.approve_order(order, check=check(), actor=pharmacist)
    order.refresh_from_db()
    assert order.status == "ready" and order.reviewed_by == pharmacist
    prescription = order.prescriptions.get()
    assert (prescription.status, prescription.number) == ("used", "RX-0001")
    assert prescription.used_at is not None
    # reservations consumed; the units left the pharmacy's shelves for the courier location
    assert not Reservation.objects.filter(reference=order.number, status=ReservationStatus.ACTIVE).exists()
    ph02 = site("PH-02")
    shelf = StockBalance.objects.get(location__site=ph02, location__is_default=True, item=otc.item)
    courier_loc = StockBalance.objects.get(location__site=ph02, location__kind="in_transit", item=otc.item)
    assert (shelf.on_hand, shelf.reserved, courier_loc.on_hand) == (8, 0, 2)
    assert AuditEvent.objects.filter(verb="approve_order", object_id=str(order.pk), actor=pharmacist).exists()


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"patient_name": "李四"}, "patient_name"),
        ({"issued_on": today() - dt.timedelta(days=3)}, "issued_on"),
        ({"supply_days": 8}, "supply_days"),
        ({"is_long_term": True, "supply_days": 85}, "supply_days"),
        ({"number": ""}, "number"),
    ],
)
def test_prescription_checks_refuse_and_leave_the_order_untouched(otc_rx, order_input, system, user, facts, field):
    order = place_rx(otc_rx, order_input, system)
    with pytest.raises(PrescriptionRefused) as exc:
        actions.approve_order(order, check=check(**facts), actor=user("pharmacist"))
    assert field in exc.value.details
    order.refresh_from_db()
    assert order.status == "placed"
    assert order.prescriptions.get().status == "pending"
    assert Reservation.objects.filter(reference=order.number, status=ReservationStatus.ACTIVE).count() == 2


def test_long_prescription_for_chronic_disease_allows_twelve_weeks(otc_rx, order_input, system, user):
    order = place_rx(otc_rx, order_input, system)
    long_check = check(is_long_term=True, supply_days=84, issued_on=today() - dt.timedelta(days=20))
    actions.approve_order(order, check=long_check, actor=user("pharmacist"))
    order.refresh_from_db()
    assert order.status == "ready"


def test_a_used_prescription_cannot_be_reused(otc_rx, order_input, system, user):
    first = place_rx(otc_rx, order_input, system)
    actions.approve_order(first, check=check(), actor=user("pharmacist"))
    # the same photo sent again
    second = place_rx(otc_rx, order_input, system)
    with pytest.raises(PrescriptionReused):
        actions.approve_order(second, check=check(number="RX-0002"), actor=user("pharmacist"))
    second.refresh_from_db()
    assert second.status == "placed"


def test_same_prescription_number_from_a_different_photo_is_reuse(otc_rx, order_input, system, user):
    otc, rx = otc_rx
    first = place_rx(otc_rx, order_input, system)
    actions.approve_order(first, check=check(), actor=user("pharmacist"))
    other_photo = photo(b"\xff\xd8\xff\xe0" + b"0" * 64, "other.jpg")
    second = actions.place_order(
        order_input([(rx, 1)], rx_warning_accepted=True, prescription_photo=other_photo), actor=system
    )[0]
    with pytest.raises(PrescriptionReused):
        actions.approve_order(second, check=check(), actor=user("pharmacist"))


def test_reject_releases_the_reservations(otc_rx, order_input, system, user):
    otc, rx = otc_rx
    order = place_rx(otc_rx, order_input, system)
    with pytest.raises(OrderInvalid):
        actions.reject_order(order, " ", actor=user("pharmacist"))
    actions.reject_order(order, "处方不清晰", actor=user("pharmacist"))
    order.refresh_from_db()
    assert (order.status, order.reject_reason) == ("rejected", "处方不清晰")
    assert (avail("PH-02", otc), avail("PH-02", rx)) == (10, 10)
    assert order.prescriptions.get().status == "rejected"
    with pytest.raises(OrderStateInvalid):
        actions.approve_order(order, check=check(), actor=user("pharmacist"))


def test_settle_dispatch_and_contactless_delivery(otc_rx, order_input, system, user):
    otc, rx = otc_rx
    order = place_rx(otc_rx, order_input, system, insurance_card="310113198001011234")
    pharmacist = user("pharmacist")
    actions.approve_order(order, check=check(), actor=pharmacist)
    # goods 25.00 (A) + 33.33 (B: 30.00 eligible), fees 4.00; accounts 20.00 + 100.00
    settlement = actions.settle_order(
        order,
        method="insurance",
        transaction_number="YB20220415000123",
        current_year=Decimal("20.00"),
        prior_years=Decimal("100.00"),
        actor=pharmacist,
    )
    assert (settlement.total, settlement.eligible, settlement.personal_current, settlement.personal_prior) == (
        Decimal("62.33"),
        Decimal("55.00"),
        Decimal("20.00"),
        Decimal("35.00"),
    )
    assert (settlement.pooled, settlement.self_pay) == (Decimal("0.00"), Decimal("7.33"))
    courier = user("driver")
    actions.dispatch_order(order, courier, actor=pharmacist)
    with pytest.raises(HandoverCodeWrong):
        actions.confirm_delivery(order, "0000" if order.handover_code != "0000" else "1111", actor=courier)
    order.refresh_from_db()
    assert order.status == "out_for_delivery"
    actions.confirm_delivery(order, order.handover_code, actor=courier)
    order.refresh_from_db()
    assert order.status == "delivered" and order.delivered_at is not None
    ph02 = site("PH-02")
    assert not StockBalance.objects.filter(location__site=ph02, location__kind="in_transit", on_hand__gt=0).exists()
    assert StockBalance.objects.get(location__site=ph02, location__is_default=True, item=rx.item).on_hand == 9


def test_failed_delivery_puts_the_drugs_back_and_refunds(otc_rx, order_input, system, user):
    otc, rx = otc_rx
    order = place_rx(otc_rx, order_input, system)
    pharmacist = user("pharmacist")
    actions.approve_order(order, check=check(), actor=pharmacist)
    actions.settle_order(order, method="self_pay", actor=pharmacist)
    actions.dispatch_order(order, user("driver"), actor=pharmacist)
    actions.record_delivery_failure(order, "无人应答", actor=user("driver"))
    order.refresh_from_db()
    assert order.status == "delivery_failed"
    assert (avail("PH-02", otc), avail("PH-02", rx)) == (10, 10)
    settlement = Settlement.objects.get(order=order)
    assert (settlement.status, settlement.self_pay, settlement.refund_reason) == (
        "refunded",
        Decimal("62.33"),
        "无人应答",
    )
    # the prescription stays used: the drugs were dispensed once
    assert Prescription.objects.get(order=order).status == "used"


def test_cancel_after_approval_returns_stock_and_refunds(otc_rx, order_input, system, user):
    otc, _rx = otc_rx
    order = actions.place_order(order_input([(otc, 3)]), actor=system)[0]
    pharmacist = user("pharmacist")
    actions.approve_order(order, actor=pharmacist)
    assert avail("PH-02", otc) == 7
    actions.settle_order(order, method="self_pay", actor=pharmacist)
    actions.cancel_order(order, "居民取消", actor=pharmacist)
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert avail("PH-02", otc) == 10
    assert Settlement.objects.get(order=order).status == "refunded"
    assert AuditEvent.objects.filter(verb="refund_settlement").count() == 1
