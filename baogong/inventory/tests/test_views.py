from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from baogong.core.models import AuditEvent
from baogong.inventory import actions, queries
from baogong.inventory.models import Adjustment, Issue, Lot, StockBalance, Stocktake
from baogong.inventory.tests.conftest import SYSTEM, in_days


@pytest.fixture
def stocked(txq, n95, water, receive):
    receive(txq, n95, "N-1", 40, expiry=in_days(5))
    receive(txq, n95, "N-2", 60, expiry=in_days(200))
    receive(txq, water, "W-1", 10)
    return txq


def test_stock_list_filters_and_query_count(client_for, stocked, n95, receive):
    client = client_for("warehouse")
    for i in range(10):
        receive(stocked, n95, f"X-{i}", 1, expiry=in_days(100 + i))
    client.get("/inventory/")  # warm caches (session, permissions)
    with CaptureQueriesContext(connection) as few:
        response = client.get("/inventory/", {"q": "N-"})
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as many:
        client.get("/inventory/")
    assert len(many) == len(few)  # no query per row
    page = client.get("/inventory/", {"expiry": "7"}).content.decode()
    assert "N-1" in page and "N-2" not in page
    htmx = client.get("/inventory/", {"item": "WATER"}, HTTP_HX_REQUEST="true").content.decode()
    assert "W-1" in htmx and "<html" not in htmx


def test_stock_list_is_scoped(client_for, stocked, wh_yy, n95, receive):
    receive(wh_yy, n95, "YY-1", 5)
    assert "YY-1" not in client_for("warehouse").get("/inventory/").content.decode()
    assert "YY-1" in client_for("commander").get("/inventory/").content.decode()


def test_stock_export_is_a_real_workbook(client_for, stocked):
    response = client_for("warehouse").get("/inventory/", {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2] == "编码 Item" and len(rows) == 4
    assert {r[5] for r in rows[1:]} == {"N-1", "N-2", "W-1"}


def test_receive_screen_posts_a_receipt(client_for, txq, n95):
    client = client_for("warehouse")
    assert client.get("/inventory/receive/").status_code == 200
    data = {
        "warehouse": txq.pk,
        "reference": "PO-9",
        "supplier": "厂家",
        "qc_status": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-item": "N95",
        "lines-0-batch": "B9",
        "lines-0-expiry": str(in_days(90)),
        "lines-0-qty": "12",
        "lines-0-unit_cost": "3.5",
        "lines-0-location": "",
    }
    response = client.post("/inventory/receive/", data)
    assert response.status_code == 302
    assert StockBalance.objects.get(lot__batch="B9").on_hand == 12
    assert StockBalance.objects.get(lot__batch="B9").lot.qc_status == "pending"  # 厂家 is no known supplier
    bad = client.post("/inventory/receive/", {**data, "lines-0-item": "NOPE"})
    assert bad.status_code == 200 and StockBalance.objects.get(lot__batch="B9").on_hand == 12


def test_issue_screen_posts_and_shows_shortage(client_for, stocked, hospital):
    client = client_for("warehouse")
    data = {
        "warehouse": stocked.pk,
        "recipient": "FH-FCL",
        "reference": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-item": "N95",
        "lines-0-qty": "500",
        "lines-0-batch": "",
    }
    short = client.post("/inventory/issue/", data, follow=True)
    assert not Issue.objects.exists() and "500" in short.content.decode()
    done = client.post("/inventory/issue/", {**data, "lines-0-qty": "45"})
    assert done.status_code == 302 and Issue.objects.get().lines.count() == 2


def test_lot_card_traceability_and_quarantine(client_for, stocked, hospital, n95):
    actions.issue_stock(stocked, hospital, [actions.IssueLineInput(item=n95, qty=10)], actor=SYSTEM)
    lot = Lot.objects.get(batch="N-1")
    page = client_for("commander").get(f"/inventory/lots/{lot.pk}/").content.decode()
    assert "FH-FCL" in page
    response = client_for("commander").post(f"/inventory/lots/{lot.pk}/quarantine/", {"reason": "召回"})
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.qc_status == "quarantined"
    assert StockBalance.objects.get(lot=lot, location=queries.quarantine_location(stocked)).on_hand == 30
    assert client_for("warehouse").post(f"/inventory/lots/{lot.pk}/quarantine/", {"reason": "x"}).status_code == 403


def test_item_card_shows_moves(client_for, stocked, n95):
    page = client_for("warehouse").get(f"/inventory/items/{n95.pk}/").content.decode()
    assert "N-1" in page and "N-2" in page


def test_lot_of_another_warehouse_is_404(client_for, wh_yy, n95, receive):
    receive(wh_yy, n95, "YY", 5)
    lot = Lot.objects.get(batch="YY")
    assert client_for("warehouse").get(f"/inventory/lots/{lot.pk}/").status_code == 404


def test_adjust_and_approve_screens(client_for, stocked, settings):
    settings.BAOGONG_ADJUSTMENT_APPROVAL_VALUE = "0"
    balance = StockBalance.objects.get(lot__batch="W-1")
    response = client_for("warehouse").post(f"/inventory/adjust/{balance.pk}/", {"qty_change": "-2", "reason": "破损"})
    assert response.status_code == 302
    adjustment = Adjustment.objects.get()
    assert adjustment.status == "pending"
    client_for("commander").post(f"/inventory/adjustments/{adjustment.pk}/decide/", {"decision": "approve"})
    balance.refresh_from_db()
    assert balance.on_hand == 8


def test_stocktake_screens_blind_count_sheet_and_approval(client_for, stocked):
    keeper = client_for("warehouse")
    response = keeper.post("/inventory/stocktakes/", {"warehouse": stocked.pk, "is_blind": "on", "note": ""})
    stocktake = Stocktake.objects.get()
    assert response.status_code == 302 and stocktake.is_blind
    page = keeper.get(f"/inventory/stocktakes/{stocktake.pk}/").content.decode()
    assert ">账面</th>" not in page and ">Expected</th>" not in page
    pdf = keeper.get(f"/inventory/stocktakes/{stocktake.pk}/sheet.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    sheet = load_workbook(io.BytesIO(keeper.get(f"/inventory/stocktakes/{stocktake.pk}/sheet.xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4 and all(r[6] in (None, "") for r in rows[1:])
    counts = {
        f"count-{line.pk}": str(line.expected_qty - (1 if line.lot.batch == "W-1" else 0))
        for line in stocktake.lines.all()
    }
    keeper.post(f"/inventory/stocktakes/{stocktake.pk}/", {**counts, "submit": "1"})
    stocktake.refresh_from_db()
    assert stocktake.status == "submitted"
    assert keeper.post(f"/inventory/stocktakes/{stocktake.pk}/approve/", {}).status_code == 403
    client_for("commander").post(f"/inventory/stocktakes/{stocktake.pk}/approve/", {"decision": "approve"})
    assert StockBalance.objects.get(lot__batch="W-1").on_hand == 9
    assert AuditEvent.objects.filter(verb="approve_stocktake").count() == 1


def test_expiry_and_valuation_pages(client_for, stocked):
    client = client_for("warehouse")
    expiry = client.get("/inventory/expiry/", {"within": "7"}).content.decode()
    assert "N-1" in expiry and "N-2" not in expiry
    value = client.get("/inventory/valuation/", {"by": "expiry"})
    assert value.status_code == 200
    rows = {r["key"]: r for r in value.context["rows"]}
    assert rows["≤7"]["qty"] == 40 and rows[">90"]["qty"] == 60 and rows["none"]["qty"] == 10
    by_wh = client.get("/inventory/valuation/", {"by": "warehouse"}).context["rows"]
    assert [(r["key"], r["qty"]) for r in by_wh] == [("WH-TXQ", 110)]


def test_pages_need_permission(client_for, stocked):
    tenant = client_for("tenant")
    for url in ("/inventory/", "/inventory/receive/", "/inventory/issue/", "/inventory/stocktakes/"):
        assert tenant.get(url).status_code == 403
