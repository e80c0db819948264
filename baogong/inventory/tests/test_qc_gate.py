"""The QC gate (issue 19.3): goods that need inspection land in quarantine at every receipt path and
only QC staff release them; a receipt without an order from an unknown supplier is flagged and held."""

from __future__ import annotations

from decimal import Decimal

import pytest

from baogong.catalog import actions as catalog_actions
from baogong.catalog.models import Category, Item
from baogong.core.models import AuditEvent, Notification
from baogong.inventory import actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.inventory.errors import InsufficientStock, StockInvalid
from baogong.inventory.models import Lot, QcRule, Receipt, StockBalance, StockMove
from baogong.inventory.tests.conftest import SYSTEM, in_days
from baogong.orgs.models import Site

RECEIPTS = "/api/v1/inventory/receipts/"


@pytest.fixture
def kits(base: None) -> Item:
    return catalog_actions.create_item(
        {
            "code": "AG-KIT",
            "name": "新冠抗原检测试剂盒",
            "unit": "盒",
            "category": Category.objects.get(code="MED-DEV-IVD"),
            "reference_price": Decimal("480"),
            "regulatory_number": "国械注准20203400830",
        },
        actor=SYSTEM,
    )


@pytest.fixture
def rice(base: None) -> Item:
    return catalog_actions.create_item(
        {"code": "RICE", "name": "大米", "unit": "袋", "category": Category.objects.get(code="LIFE-GRAIN")},
        actor=SYSTEM,
    )


def _page_data(site: Site, item: str, qc_status: str, supplier: str = "路边供应商") -> dict[str, str]:
    return {
        "warehouse": str(site.pk),
        "reference": "",
        "supplier": supplier,
        "qc_status": qc_status,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-item": item,
        "lines-0-batch": "RS-1",
        "lines-0-expiry": str(in_days(300)),
        "lines-0-qty": "500",
        "lines-0-unit_cost": "20",
        "lines-0-location": "",
    }


def _api_body(item: str, qc_status: str | None = None, warehouse: str = "WH-TXQ") -> dict[str, object]:
    body: dict[str, object] = {
        "warehouse": warehouse,
        "supplier": "路边供应商",
        "lines": [{"item": item, "lot": "RS-1", "expiry": str(in_days(300)), "qty": 500, "unit_cost": "20"}],
    }
    if qc_status is not None:
        body["qc_status"] = qc_status
    return body


# --- keeper: page, API, action --------------------------------------------------------------------
def test_keeper_page_cannot_release_kits_and_they_land_pending(client_for, kits, txq):
    client = client_for("warehouse")
    assert 'value="released"' not in client.get("/inventory/receive/").content.decode()  # not offered
    refused = client.post("/inventory/receive/", _page_data(txq, "AG-KIT", "released"))
    assert refused.status_code == 200 and "qc_status" in refused.context["header"].errors
    assert not Lot.objects.exists() and not StockMove.objects.exists()

    done = client.post("/inventory/receive/", _page_data(txq, "AG-KIT", ""))
    assert done.status_code == 302
    lot = Lot.objects.get(batch="RS-1")
    assert lot.qc_status == "pending"
    assert "路边供应商" in lot.qc_reason


def test_keeper_api_cannot_release_kits(api_for, kits, txq):
    api = api_for("warehouse")
    refused = api.post(RECEIPTS, _api_body("AG-KIT", "released"), format="json")
    assert refused.status_code == 400
    assert list(refused.json()["details"]) == ["qc_status"]
    assert not Lot.objects.exists() and not Receipt.objects.exists()


def test_roadside_supplier_kits_are_flagged_and_held(api_for, kits, txq, hospital):
    # given: 500 antigen kits from "路边供应商", no purchase order, received by the keeper
    response = api_for("warehouse").post(RECEIPTS, _api_body("AG-KIT"), format="json")
    # then: they are in stock but held for QC, flagged in the audit, and cannot be issued
    assert response.status_code == 201 and response.json()["qc_status"] == "pending"
    lot = Lot.objects.get(batch="RS-1")
    assert lot.qc_status == "pending"
    assert StockBalance.objects.get(lot=lot).on_hand == 500
    event = AuditEvent.objects.get(verb="receive_stock")
    assert event.after["qc_status"] == "pending"
    assert event.after["supplier_flags"] == ["供应商 路边供应商 未在采购部门登记"]
    assert [h["item"] for h in event.after["held"]] == ["AG-KIT"]
    note = Notification.objects.get(title__contains=response.json()["number"])
    assert note.level == "warning" and "qc_status=pending" in note.link and "路边供应商" in note.body
    with pytest.raises(InsufficientStock):
        actions.issue_stock(txq, hospital, [actions.IssueLineInput(item=kits, qty=1)], actor=SYSTEM)


def test_keeper_cannot_release_a_held_lot_a_qc_user_can(client_for, user, kits, txq):
    receipt = actions.receive_stock(
        txq, [ReceiptLineInput(item=kits, batch="RS-1", qty=5, unit_cost=Decimal(20))], actor=user("warehouse")
    )
    lot = receipt.lines.get().lot
    assert lot.qc_status == "pending"
    with pytest.raises(StockInvalid) as refused:
        actions.set_lot_qc_status(lot, "released", reason="", actor=user("warehouse"))
    assert list(refused.value.details) == ["status"]
    page = client_for("warehouse").post(f"/inventory/lots/{lot.pk}/qc/", {"status": "released", "reason": ""})
    assert page.status_code == 403
    lot.refresh_from_db()
    assert lot.qc_status == "pending"

    client_for("commander").post(f"/inventory/lots/{lot.pk}/qc/", {"status": "released", "reason": ""})
    lot.refresh_from_db()
    assert lot.qc_status == "released"
    assert AuditEvent.objects.filter(verb="set_lot_qc_status", actor__username="commander").count() == 1


def test_qc_user_releases_held_goods_and_qc_staff_may_release_at_receipt(api_for, client_for, kits):
    commander = api_for("commander")
    held = commander.post(RECEIPTS, _api_body("AG-KIT", warehouse="WH-YY"), format="json")
    assert held.status_code == 201 and held.json()["qc_status"] == "pending"
    lot = Lot.objects.get(batch="RS-1")
    response = client_for("qc").post(f"/inventory/lots/{lot.pk}/qc/", {"status": "released", "reason": ""})
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.qc_status == "released"
    assert AuditEvent.objects.get(verb="set_lot_qc_status").actor.username == "qc"

    body = _api_body("AG-KIT", "released", warehouse="WH-YY")
    body["lines"][0]["lot"] = "RS-2"  # type: ignore[index]
    at_receipt = commander.post(RECEIPTS, body, format="json")  # the commander holds the QC permission
    assert at_receipt.status_code == 201, at_receipt.json()
    assert Lot.objects.get(batch="RS-2").qc_status == "released"


def test_held_goods_cannot_join_a_released_batch(user, kits, txq):
    actions.receive_stock(txq, [ReceiptLineInput(item=kits, batch="RS-1", qty=5, unit_cost=Decimal(20))], actor=SYSTEM)
    assert Lot.objects.get(batch="RS-1").qc_status == "released"
    with pytest.raises(StockInvalid) as refused:
        actions.receive_stock(
            txq, [ReceiptLineInput(item=kits, batch="RS-1", qty=500, unit_cost=Decimal(20))], actor=user("warehouse")
        )
    assert list(refused.value.details["lines"]["0"]) == ["batch"]
    assert StockBalance.objects.get(lot__batch="RS-1").on_hand == 5


# --- the rules per category -----------------------------------------------------------------------
def test_rice_needs_no_qc_until_its_category_asks_for_it(user, rice, txq):
    keeper, qc = user("warehouse"), user("qc")

    def receive(batch: str) -> Lot:
        receipt = actions.receive_stock(
            txq,
            [ReceiptLineInput(item=rice, batch=batch, qty=10, unit_cost=Decimal(68))],
            actor=keeper,
            supplier_name="路边供应商",
        )
        return receipt.lines.get().lot

    first = receive("R-1")
    assert first.qc_status == "released"
    # flagged all the same: no order, unknown supplier
    assert AuditEvent.objects.filter(verb="receive_stock").latest("pk").after["supplier_flags"]

    with pytest.raises(StockInvalid):
        actions.set_qc_rule(Category.objects.get(code="LIFE-FOOD"), "unqualified_supplier", actor=keeper)
    actions.set_qc_rule(Category.objects.get(code="LIFE-FOOD"), "unqualified_supplier", actor=qc)
    event = AuditEvent.objects.get(verb="set_qc_rule")
    assert event.before == {"policy": None} and event.after == {
        "category": "LIFE-FOOD",
        "policy": "unqualified_supplier",
    }

    assert receive("R-2").qc_status == "pending"  # LIFE-GRAIN inherits LIFE-FOOD's rule
    actions.set_qc_rule(Category.objects.get(code="LIFE-FOOD"), None, actor=qc)
    assert not QcRule.objects.filter(category__code="LIFE-FOOD").exists()
    assert receive("R-3").qc_status == "released"


def test_the_default_rules(base):
    rules = dict(QcRule.objects.values_list("category__code", "policy"))
    assert rules == {"EPI": "unqualified_supplier", "MED-DEV": "always", "DRUG": "always"}
