"""Receiving against an order is one transaction with the stock ledger, and the counterfeit flag
on a lot is set through inventory's in-transaction function: a failure half-way writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from baogong.core.models import AuditEvent
from baogong.inventory import ledger
from baogong.inventory.models import Lot, Receipt, StockBalance, StockMove
from baogong.procurement import actions
from baogong.procurement.models import CounterfeitCase, PurchaseOrder, PurchaseOrderLine, PurchaseReceipt

from .conftest import good_inspection, receive


class Crash(RuntimeError):
    """Stands for anything failing half-way (a bug, a lost connection, a killed worker)."""


def crash(*_args: Any, **_kwargs: Any) -> Any:
    raise Crash("crash in the middle of the action")


def written() -> dict[str, Any]:
    return {
        "orders": sorted(PurchaseOrder.objects.values_list("pk", "status")),
        "lines": sorted(PurchaseOrderLine.objects.values_list("pk", "received_qty")),
        "receipts": PurchaseReceipt.objects.count(),
        "lots": sorted(Lot.objects.values_list("pk", "qc_status", "is_suspected_counterfeit")),
        "stock_receipts": Receipt.objects.count(),
        "balances": sorted(StockBalance.objects.values_list("pk", "on_hand", "reserved")),
        "moves": StockMove.objects.count(),
        "cases": CounterfeitCase.objects.count(),
        "audit": sorted(AuditEvent.objects.values_list("pk", flat=True)),
    }


def test_receipt_whose_booking_fails_leaves_the_order_lines_unclaimed(user, place_order, monkeypatch):
    order = place_order()
    before = written()
    monkeypatch.setattr(ledger, "receive", crash)
    with pytest.raises(Crash):
        receive(user, order, "AG2204A")
    assert written() == before
    assert order.lines.get().received_qty == 0


def test_receipt_failing_after_the_goods_were_booked_leaves_no_stock(user, place_order, monkeypatch):
    order = place_order()
    before = written()
    monkeypatch.setattr(PurchaseReceipt.objects, "create", crash)
    with pytest.raises(Crash):
        receive(user, order, "AG2204A")
    # no pending lot, balance, move or receive_stock event left behind, and the claim went with them
    assert written() == before
    assert not AuditEvent.objects.filter(verb__in=["receive_stock", "receive_against_order"]).exists()


def test_receipt_books_goods_claim_and_receipt_together(user, place_order):
    order = place_order()
    [receipt] = receive(user, order, "AG2204A")
    order.refresh_from_db()
    assert (order.status, order.lines.get().received_qty) == ("received", 100)
    assert receipt.stock_receipt.lines.get().lot == receipt.lot
    verbs = list(AuditEvent.objects.filter(verb__in=["receive_stock", "receive_against_order"]).values_list("verb"))
    assert sorted(v for (v,) in verbs) == ["receive_against_order", "receive_stock"]


def test_counterfeit_flag_goes_through_inventory_and_is_audited(user, place_order):
    order = place_order()
    [received] = receive(user, order, "AG-F1")
    actions.inspect_lot(received.lot, good_inspection(received), decision="release", actor=user("qc"))
    case = actions.mark_lot_counterfeit(received.lot, reason="通报假冒", actor=user("qc"))
    received.lot.refresh_from_db()
    assert received.lot.is_suspected_counterfeit is True
    event = AuditEvent.objects.get(verb="mark_lot_suspected_counterfeit", object_id=str(received.lot.pk))
    assert event.after == {"is_suspected_counterfeit": True, "reason": "通报假冒"}
    assert case.lot_id == received.lot.pk


def test_counterfeit_case_failing_after_the_flag_leaves_the_lot_unflagged(user, place_order, monkeypatch):
    order = place_order()
    [received] = receive(user, order, "AG-F2")
    before = written()
    monkeypatch.setattr(CounterfeitCase.objects, "create", crash)
    with pytest.raises(Crash):
        actions.mark_lot_counterfeit(received.lot, reason="通报假冒", actor=user("qc"))
    assert written() == before


def test_inspection_failing_after_the_release_leaves_the_lot_pending(user, place_order, monkeypatch):
    from baogong.procurement.models import Inspection

    order = place_order()
    [received] = receive(user, order, "AG-I1")
    before = written()
    monkeypatch.setattr(Inspection.objects, "create", crash)
    with pytest.raises(Crash):
        actions.inspect_lot(received.lot, good_inspection(received), decision="release", actor=user("qc"))
    # the release and its set_lot_qc_status event went with the inspection: one transaction
    assert written() == before
    received.lot.refresh_from_db()
    assert received.lot.qc_status == "pending"


def test_counterfeit_response_failing_in_the_quarantine_leaves_supplier_orders_and_lots_as_they_were(
    user, place_order, monkeypatch
):
    from baogong.inventory import lots as inventory_lots
    from baogong.procurement.models import Supplier

    order = place_order()
    [received] = receive(user, order, "AG-F3")
    actions.inspect_lot(received.lot, good_inspection(received), decision="release", actor=user("qc"))
    open_order = place_order(supplier=order.supplier)
    before = written()
    suppliers = sorted(Supplier.objects.values_list("pk", "status"))
    monkeypatch.setattr(inventory_lots, "quarantine_everywhere", crash)
    with pytest.raises(Crash):
        actions.mark_lot_counterfeit(received.lot, reason="通报假冒", actor=user("qc"))
    # the suspension, the blocked order, the case and the flag went with the quarantine
    assert written() == before
    assert sorted(Supplier.objects.values_list("pk", "status")) == suppliers
    open_order.refresh_from_db()
    assert open_order.status != "blocked"
