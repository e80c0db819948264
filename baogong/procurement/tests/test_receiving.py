import datetime as dt

import pytest

from baogong.core.models import AuditEvent
from baogong.inventory.models import Lot, StockBalance
from baogong.inventory.queries import available
from baogong.orgs.models import Site
from baogong.procurement import actions
from baogong.procurement.errors import InspectionInvalid, LotNotFromSupplier, OrderStateInvalid, ReceiptInvalid
from baogong.procurement.models import Inspection, PurchaseReceipt

from .conftest import ANTIGEN_NUMBER, FAKE_ANTIGEN_NUMBER, good_inspection, receive


def test_receipt_books_a_pending_lot_that_is_not_available(user, place_order, items):
    order = place_order()
    [receipt] = receive(user, order, "AG2204A")
    warehouse = Site.objects.get(code="WH-BY")
    assert (receipt.qty, receipt.lot.batch, receipt.lot.qc_status) == (100, "AG2204A", "pending")
    assert receipt.is_on_time is True
    assert receipt.lot.supplier_ref == order.supplier.uscc
    assert StockBalance.objects.get(lot=receipt.lot, location__site=warehouse).on_hand == 100
    assert available([warehouse.pk], [items["antigen"].pk]) == {}
    order.refresh_from_db()
    assert order.status == "received"
    assert order.lines.get().received_qty == 100
    assert AuditEvent.objects.filter(verb="receive_against_order", object_id=str(order.pk)).count() == 1


def test_partial_receipt_then_over_receipt_is_refused(user, place_order):
    order = place_order()
    receive(user, order, "AG-P1", qty=60)
    order.refresh_from_db()
    assert order.status == "partially_received"
    with pytest.raises(ReceiptInvalid) as exc:
        receive(user, order, "AG-P2", qty=41)
    assert "40" in exc.value.details["lines[0]"]["qty"][0]
    assert not Lot.objects.filter(batch="AG-P2").exists()
    assert PurchaseReceipt.objects.count() == 1


def test_receipt_against_a_draft_is_refused(user, place_order):
    order = place_order(lines=[("antigen", 5, "490.00")], submit=False)
    with pytest.raises(OrderStateInvalid):
        receive(user, order, "X1")
    assert not Lot.objects.exists()


def test_inspector_releases_a_good_lot_and_it_becomes_available(user, place_order, items):
    order = place_order()
    [receipt] = receive(user, order, "AG2204A")
    inspection = actions.inspect_lot(receipt.lot, good_inspection(receipt), decision="release", actor=user("qc"))
    assert (inspection.findings, inspection.red_flags) == ([], [])
    receipt.lot.refresh_from_db()
    assert receipt.lot.qc_status == "released"
    warehouse = Site.objects.get(code="WH-BY")
    assert available([warehouse.pk], [items["antigen"].pk]) == {(warehouse.pk, items["antigen"].pk): 100}
    assert AuditEvent.objects.filter(verb="inspect_lot", object_id=str(inspection.pk)).count() == 1
    assert AuditEvent.objects.filter(verb="set_lot_qc_status", object_id=str(receipt.lot.pk)).count() == 1


def test_fake_antigen_kit_with_a_class_one_filing_cannot_be_released_and_is_rejected(user, place_order):
    order = place_order()
    [receipt] = receive(user, order, "FAKE01")
    data = good_inspection(receipt, registration_number=FAKE_ANTIGEN_NUMBER, registrant="某某生物")
    with pytest.raises(InspectionInvalid) as exc:
        actions.inspect_lot(receipt.lot, data, decision="release", actor=user("qc"))
    findings = exc.value.details["findings"]
    assert any("第一类备案" in f for f in findings)
    assert any(ANTIGEN_NUMBER in f for f in findings)  # does not match the item master
    receipt.lot.refresh_from_db()
    assert receipt.lot.qc_status == "pending"
    assert not Inspection.objects.exists()

    with pytest.raises(InspectionInvalid) as exc:
        actions.inspect_lot(receipt.lot, data, decision="reject", reason=" ", actor=user("qc"))
    assert "reason" in exc.value.details

    inspection = actions.inspect_lot(receipt.lot, data, decision="reject", reason="械备号冒充注册证", actor=user("qc"))
    assert inspection.decision == "reject"
    assert any("第一类备案" in flag for flag in inspection.red_flags)
    receipt.lot.refresh_from_db()
    assert (receipt.lot.qc_status, receipt.lot.qc_reason) == ("rejected", "械备号冒充注册证")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"registrant": "北京金沃夫生物工程科技有限公司"}, "注册人与证书不符"),
        ({"registration_number": "国械注准20193400346"}, "早于2020年"),
        ({"registration_number": "沪械注准20222400346"}, "不是第三类"),
        ({"batch": "OTHER"}, "OTHER"),
        ({"has_inspection_report": False}, "检验报告"),
        ({"sample_result": "fail"}, None),
        ({"packaging_ok": False, "packaging_findings": "无中文标签"}, "无中文标签"),
    ],
)
def test_each_finding_blocks_release_and_is_named(user, place_order, overrides, expected):
    order = place_order()
    [receipt] = receive(user, order, "AG-F")
    with pytest.raises(InspectionInvalid) as exc:
        actions.inspect_lot(receipt.lot, good_inspection(receipt, **overrides), decision="release", actor=user("qc"))
    findings = exc.value.details["findings"]
    assert len(findings) >= 1
    if expected:
        assert any(expected in f for f in findings)
    receipt.lot.refresh_from_db()
    assert receipt.lot.qc_status == "pending"


def test_shelf_life_and_expiry_are_checked(user, place_order):
    order = place_order()
    today = dt.date.today()
    [receipt] = receive(
        user, order, "AG-S", production=today - dt.timedelta(days=10), expiry=today + dt.timedelta(days=900)
    )
    with pytest.raises(InspectionInvalid) as exc:
        actions.inspect_lot(receipt.lot, good_inspection(receipt), decision="release", actor=user("qc"))
    assert any("540" in f and "910" in f for f in exc.value.details["findings"])


def test_quarantine_decision_needs_a_reason_and_holds_the_lot(user, place_order):
    order = place_order()
    [receipt] = receive(user, order, "AG-Q")
    actions.inspect_lot(
        receipt.lot,
        good_inspection(receipt, sample_result="not_tested"),
        decision="quarantine",
        reason="待送检",
        actor=user("qc"),
    )
    receipt.lot.refresh_from_db()
    assert receipt.lot.qc_status == "quarantined"
    with pytest.raises(InspectionInvalid):
        actions.inspect_lot(receipt.lot, good_inspection(receipt), decision="release", actor=user("qc"))


def test_lot_not_bought_through_an_order_cannot_be_inspected(user, items):
    from baogong.inventory.actions import ReceiptLineInput, receive_stock

    receive_stock(
        Site.objects.get(code="WH-BY"),
        [ReceiptLineInput(item=items["rice"], batch="DONATED", qty=5, unit_cost=0)],
        actor=user("commander"),
        qc_status="pending",
    )
    lot = Lot.objects.get(batch="DONATED")
    with pytest.raises(LotNotFromSupplier):
        actions.inspect_lot(lot, actions.InspectionInput(batch="DONATED"), decision="release", actor=user("qc"))
