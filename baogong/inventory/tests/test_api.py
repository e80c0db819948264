from __future__ import annotations

import pytest

from baogong.core.models import AuditEvent
from baogong.inventory import actions
from baogong.inventory.models import Issue, Lot, Receipt, StockMove
from baogong.inventory.tests.conftest import SYSTEM, in_days

RECEIPTS = "/api/v1/inventory/receipts/"
ISSUES = "/api/v1/inventory/issues/"
BALANCES = "/api/v1/inventory/balances/"


@pytest.fixture
def stocked(api_for, n95, water):
    api = api_for("warehouse")
    response = api.post(
        RECEIPTS,
        {
            "warehouse": "WH-TXQ",
            "reference": "PO-7",
            "lines": [
                {"item": "N95", "lot": "L-LATE", "expiry": str(in_days(300)), "qty": 60, "unit_cost": "2.50"},
                {"item": "N95", "lot": "L-EARLY", "expiry": str(in_days(30)), "qty": 40, "unit_cost": "2.00"},
                {"item": "WATER", "lot": "W1", "qty": 10, "unit_cost": "24.00"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    # Masks without a purchase order from an unknown supplier wait for QC; water needs none.
    assert dict(Lot.objects.values_list("batch", "qc_status")) == {
        "L-LATE": "pending",
        "L-EARLY": "pending",
        "W1": "released",
    }
    for lot in Lot.objects.filter(qc_status="pending"):
        actions.set_lot_qc_status(lot, "released", reason="", actor=SYSTEM)
    return api


def test_receipt_creates_lots_and_answers_the_document(stocked):
    receipt = Receipt.objects.get()
    assert receipt.created_by.username == "warehouse"
    assert Lot.objects.get(batch="L-EARLY").expiry == in_days(30)
    assert StockMove.objects.filter(reason="receipt").count() == 3


def test_receipt_body(api_for, n95):
    response = api_for("commander").post(
        RECEIPTS,
        {
            "warehouse": "WH-YY",
            "lines": [{"item": "N95", "lot": "B", "expiry": "2030-01-31", "qty": 5, "unit_cost": "1.10"}],
        },
        format="json",
    )
    body = response.json()
    assert response.status_code == 201
    assert body["warehouse"] == "WH-YY" and body["number"].startswith("RC-")
    assert body["lines"] == [
        {"item": "N95", "lot": "B", "expiry": "2030-01-31", "location": "MAIN", "qty": 5, "unit_cost": "1.1000"}
    ]


def test_receipt_into_a_warehouse_outside_scope_is_404_and_writes_nothing(api_for, n95):
    response = api_for("warehouse").post(
        RECEIPTS,
        {"warehouse": "WH-YY", "lines": [{"item": "N95", "lot": "B", "qty": 5, "unit_cost": "1"}]},
        format="json",
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not Lot.objects.exists()


def test_receipt_field_errors(api_for, n95):
    api = api_for("warehouse")
    unknown = api.post(
        RECEIPTS, {"warehouse": "WH-TXQ", "lines": [{"item": "NOPE", "qty": 5, "unit_cost": "1"}]}, format="json"
    )
    assert unknown.status_code == 400 and list(unknown.json()["details"]["lines"]["0"]) == ["item"]
    bad = api.post(
        RECEIPTS, {"warehouse": "WH-TXQ", "lines": [{"item": "N95", "qty": 0, "unit_cost": "-1"}]}, format="json"
    )
    assert bad.status_code == 400 and set(bad.json()["details"]["lines"]["0"]) == {"qty", "unit_cost"}
    empty = api.post(RECEIPTS, {"warehouse": "WH-TXQ", "lines": []}, format="json")
    assert empty.status_code == 400
    assert not StockMove.objects.exists()


def test_receipt_needs_permission(api_for, n95):
    response = api_for("auditor").post(
        RECEIPTS, {"warehouse": "WH-TXQ", "lines": [{"item": "N95", "qty": 5, "unit_cost": "1"}]}, format="json"
    )
    assert response.status_code == 403 and not StockMove.objects.exists()


def test_issue_to_a_site_of_another_organisation_fefo(stocked):
    response = stocked.post(
        ISSUES, {"warehouse": "WH-TXQ", "recipient": "FH-FCL", "lines": [{"item": "N95", "qty": 50}]}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["recipient"] == "FH-FCL" and body["number"].startswith("IS-")
    assert [(line["lot"], line["qty"]) for line in body["lines"]] == [("L-EARLY", 40), ("L-LATE", 10)]
    assert AuditEvent.objects.filter(verb="issue_stock", actor__username="warehouse").count() == 1


def test_issue_short_is_409_and_writes_nothing(stocked):
    moves = StockMove.objects.count()
    response = stocked.post(
        ISSUES,
        {
            "warehouse": "WH-TXQ",
            "recipient": "FH-FCL",
            "lines": [{"item": "N95", "qty": 5}, {"item": "WATER", "qty": 11}],
        },
        format="json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock"
    assert body["details"]["lines"] == [{"line": 1, "item": "WATER", "lot": None, "requested": 11, "available": 10}]
    assert StockMove.objects.count() == moves and not Issue.objects.exists()


def test_issue_errors(stocked):
    unknown = stocked.post(
        ISSUES, {"warehouse": "WH-TXQ", "recipient": "NOPE", "lines": [{"item": "N95", "qty": 1}]}, format="json"
    )
    assert unknown.status_code == 400 and "recipient" in unknown.json()["details"]
    out_of_scope = stocked.post(
        ISSUES, {"warehouse": "WH-YY", "recipient": "FH-FCL", "lines": [{"item": "N95", "qty": 1}]}, format="json"
    )
    assert out_of_scope.status_code == 404
    assert not Issue.objects.exists()


def test_balances_per_lot_and_in_total(stocked, api_for):
    stocked.post(
        ISSUES, {"warehouse": "WH-TXQ", "recipient": "FH-FCL", "lines": [{"item": "N95", "qty": 15}]}, format="json"
    )
    body = stocked.get(BALANCES, {"warehouse": "WH-TXQ", "item": "N95"}).json()
    assert (body["on_hand"], body["reserved"], body["available"]) == (85, 0, 85)
    assert [(lot["lot"], lot["on_hand"], lot["available"]) for lot in body["lots"]] == [
        ("L-EARLY", 25, 25),
        ("L-LATE", 60, 60),
    ]
    assert body["count"] == 1 and body["results"][0]["available"] == 85
    everything = api_for("commander").get(BALANCES).json()
    assert [(g["warehouse"], g["item"], g["on_hand"]) for g in everything["results"]] == [
        ("WH-TXQ", "N95", 85),
        ("WH-TXQ", "WATER", 10),
    ]
    assert stocked.get(BALANCES, {"warehouse": "WH-YY"}).status_code == 404


def test_openapi_documents_the_stock_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {RECEIPTS, ISSUES, BALANCES, "/api/v1/catalog/items/"} <= set(paths)
    assert "409" in paths[ISSUES]["post"]["responses"]
