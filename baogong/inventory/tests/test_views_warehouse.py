"""The keeper's screens added for issue 3: put-away from the stock list, transfers received at their
destination, reservations (list, filters, release), found stock in a stocktake, code pickers."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from baogong.core.models import AuditEvent
from baogong.inventory import actions, queries
from baogong.inventory.models import Lot, Reservation, StockBalance, Stocktake, StocktakeLine, Transfer
from baogong.inventory.tests.conftest import SYSTEM, in_days


@pytest.fixture
def bin_a(txq):
    return actions.create_location(txq, code="A-01", name="A-01", actor=SYSTEM)


@pytest.fixture
def stocked(txq, n95, receive):
    receive(txq, n95, "N-1", 40, expiry=in_days(100))
    return txq


def _receive_data(txq, **line):
    data = {
        "warehouse": txq.pk,
        "reference": "PO-1",
        "supplier": "",
        "qc_status": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-item": "N95",
        "lines-0-batch": "B1",
        "lines-0-expiry": str(in_days(90)),
        "lines-0-qty": "3",
        "lines-0-unit_cost": "",
        "lines-0-location": "",
    }
    data.update({f"lines-0-{k}": v for k, v in line.items()})
    return data


# --- receive: code pickers and the reference price ----------------------------------------------
def test_receive_offers_codes_and_defaults_the_unit_cost_to_the_reference_price(client_for, txq, n95, bin_a):
    client = client_for("warehouse")
    page = client.get("/inventory/receive/").content.decode()
    assert '<datalist id="dl-items"><option value="N95">' in page
    assert '<option value="A-01">' in page and 'list="dl-bins"' in page
    response = client.post("/inventory/receive/", _receive_data(txq, location="A-01"))
    assert response.status_code == 302
    lot = Lot.objects.get(batch="B1")
    assert lot.unit_cost == Decimal("250")
    assert StockBalance.objects.get(lot=lot, location=bin_a).on_hand == 3


def test_receive_into_an_unknown_bin_is_a_field_error_and_writes_nothing(client_for, txq, n95):
    response = client_for("warehouse").post("/inventory/receive/", _receive_data(txq, location="NOPE"))
    assert response.status_code == 200
    assert 'data-field="location"' in response.content.decode()
    assert not Lot.objects.filter(batch="B1").exists()


# --- put-away ---------------------------------------------------------------------------------
def test_stock_row_links_to_cards_and_a_prefilled_put_away(client_for, stocked, n95, bin_a):
    client = client_for("warehouse")
    balance = StockBalance.objects.get(lot__batch="N-1")
    page = client.get("/inventory/").content.decode()
    assert f'href="/inventory/items/{n95.pk}/"' in page
    assert f'href="/inventory/lots/{balance.lot_id}/"' in page
    assert "from_location=MAIN" in page and "qty=40" in page
    form = client.get(
        "/inventory/transfer/", {"warehouse": "WH-TXQ", "item": "N95", "batch": "N-1", "from_location": "MAIN"}
    ).content.decode()
    assert 'value="N-1"' in form and 'value="MAIN"' in form
    data = {"warehouse": stocked.pk, "item": "N95", "batch": "N-1", "from_location": "MAIN", "qty": "15"}
    bad = client.post("/inventory/transfer/", {**data, "to_location": "NOPE"})
    assert 'data-field="to_location"' in bad.content.decode()
    assert StockBalance.objects.get(pk=balance.pk).on_hand == 40
    assert client.post("/inventory/transfer/", {**data, "to_location": "A-01"}).status_code == 302
    assert StockBalance.objects.get(lot__batch="N-1", location=bin_a).on_hand == 15
    assert StockBalance.objects.get(pk=balance.pk).on_hand == 25


def test_no_put_away_for_users_who_may_not_transfer(client_for, stocked):
    page = client_for("auditor").get("/inventory/").content.decode()
    assert "N-1" in page and "from_location=MAIN" not in page


# --- transfers between sites ----------------------------------------------------------------------
@pytest.fixture
def sent(stocked, wh_yy):
    lot = Lot.objects.get(batch="N-1")
    return actions.transfer_stock(
        stocked,
        [actions.TransferLineInput(lot=lot, from_location=queries.default_location(stocked), qty=10)],
        actor=SYSTEM,
        destination=wh_yy,
    )


def test_transfer_list_shows_in_transit_and_the_destination_books_it_in(client_for, sent, wh_yy):
    keeper = client_for("warehouse")
    page = keeper.get("/inventory/transfers/").content.decode()
    assert sent.number in page and f"/inventory/transfers/{sent.pk}/receive/" not in page  # not its site
    assert keeper.get(f"/inventory/transfers/{sent.pk}/receive/").status_code == 404
    boss = client_for("commander")
    assert f"/inventory/transfers/{sent.pk}/receive/" in boss.get("/inventory/transfers/").content.decode()
    assert boss.get(f"/inventory/transfers/{sent.pk}/receive/").status_code == 200
    bad = boss.post(f"/inventory/transfers/{sent.pk}/receive/", {"location": "NOPE"})
    assert bad.status_code == 200 and 'data-field="location"' in bad.content.decode()
    assert Transfer.objects.get(pk=sent.pk).status == "in_transit"
    assert boss.post(f"/inventory/transfers/{sent.pk}/receive/", {"location": ""}).status_code == 302
    assert Transfer.objects.get(pk=sent.pk).status == "received"
    assert StockBalance.objects.get(lot__batch="N-1", location=queries.default_location(wh_yy)).on_hand == 10
    assert AuditEvent.objects.filter(verb="receive_transfer").count() == 1
    assert queries.ledger_differences() == []


def test_transfers_of_other_organisations_are_hidden(client_for, wh_yy, n95, receive):
    receive(wh_yy, n95, "Y-1", 5)
    from baogong.orgs.models import Site

    other = actions.transfer_stock(
        wh_yy,
        [
            actions.TransferLineInput(
                lot=Lot.objects.get(batch="Y-1"), from_location=queries.default_location(wh_yy), qty=5
            )
        ],
        actor=SYSTEM,
        destination=Site.objects.get(code="WH-BY"),
    )
    keeper = client_for("warehouse")
    assert other.number not in keeper.get("/inventory/transfers/").content.decode()
    assert keeper.post(f"/inventory/transfers/{other.pk}/receive/", {"location": ""}).status_code == 404
    assert Transfer.objects.get(pk=other.pk).status == "in_transit"


# --- reservations ---------------------------------------------------------------------------------
@pytest.fixture
def reserved(stocked, n95):
    (first,) = actions.reserve_stock(stocked, n95, 12, actor=SYSTEM, reference="REQ-77")
    actions.reserve_stock(stocked, n95, 3, actor=SYSTEM, reference="SHP-5")
    return first


def test_reservation_list_columns_filters_and_pagination(client_for, reserved):
    client = client_for("warehouse")
    page = client.get("/inventory/reservations/").content.decode()
    for text in ("WH-TXQ", "N95", "N-1", "REQ-77", "SHP-5", "12"):
        assert text in page
    only = client.get("/inventory/reservations/", {"reference": "REQ"}).content.decode()
    assert "REQ-77" in only and "SHP-5" not in only
    assert "REQ-77" not in client.get("/inventory/reservations/", {"status": "released"}).content.decode()
    assert "REQ-77" not in client.get("/inventory/reservations/", {"item": "WATER"}).content.decode()
    paged = client.get("/inventory/reservations/", {"page_size": "1", "status": "all"}).content.decode()
    assert "page=2" in paged
    partial = client.get("/inventory/reservations/", {"reference": "SHP"}, HTTP_HX_REQUEST="true").content.decode()
    assert "SHP-5" in partial and "<html" not in partial


def test_release_part_of_a_reservation_is_audited(client_for, reserved):
    client = client_for("warehouse")
    url = f"/inventory/reservations/{reserved.pk}/release/"
    assert 'value="12"' in client.get(url).content.decode()
    assert client.post(url, {"qty": "5"}).status_code == 302
    reserved.refresh_from_db()
    assert (reserved.qty, reserved.status) == (7, "active")
    assert StockBalance.objects.get(pk=reserved.balance_id).reserved == 10
    event = AuditEvent.objects.get(verb="release_reservation")
    assert event.before["qty"] == 12 and event.after["qty"] == 7
    assert queries.ledger_differences() == []


@pytest.mark.parametrize("qty", ["0", "13", "x", ""])
def test_release_with_bad_quantity_is_a_field_error_and_changes_nothing(client_for, reserved, qty):
    response = client_for("warehouse").post(f"/inventory/reservations/{reserved.pk}/release/", {"qty": qty})
    assert response.status_code == 200
    assert 'data-field="qty"' in response.content.decode()
    reserved.refresh_from_db()
    assert reserved.qty == 12 and StockBalance.objects.get(pk=reserved.balance_id).reserved == 15
    assert not AuditEvent.objects.filter(verb="release_reservation").exists()


def test_release_needs_permission_and_scope(client_for, reserved, wh_yy, n95, receive):
    assert client_for("auditor").get("/inventory/reservations/").status_code == 200
    assert (
        client_for("auditor").post(f"/inventory/reservations/{reserved.pk}/release/", {"qty": "1"}).status_code == 403
    )
    receive(wh_yy, n95, "Y-1", 5)
    (theirs,) = actions.reserve_stock(wh_yy, n95, 2, actor=SYSTEM, reference="YY-REQ")
    keeper = client_for("warehouse")
    assert "YY-REQ" not in keeper.get("/inventory/reservations/", {"status": "all"}).content.decode()
    assert keeper.post(f"/inventory/reservations/{theirs.pk}/release/", {"qty": "1"}).status_code == 404
    assert Reservation.objects.get(pk=theirs.pk).qty == 2
    assert Reservation.objects.get(pk=reserved.pk).qty == 12


# --- stocktake: found stock -----------------------------------------------------------------------
@pytest.fixture
def counting(stocked):
    return actions.start_stocktake(stocked, actor=SYSTEM)


def _found(**kw):
    data = {
        "found_item": "N95",
        "found_batch": "F-1",
        "found_expiry": str(in_days(300)),
        "found_location": "A-01",
        "found_qty": "6",
    }
    data.update(kw)
    return data


def test_start_form_offers_the_blind_count(client_for, stocked):
    page = client_for("warehouse").get("/inventory/stocktakes/").content.decode()
    assert 'name="is_blind"' in page


def test_found_stock_is_counted_from_the_page_and_posted_on_approval(client_for, counting, bin_a):
    keeper = client_for("warehouse")
    page = keeper.get(f"/inventory/stocktakes/{counting.pk}/").content.decode()
    assert 'id="found-stock"' in page and 'name="found_batch"' in page
    assert keeper.post(f"/inventory/stocktakes/{counting.pk}/found/", _found()).status_code == 302
    line = StocktakeLine.objects.get(lot__batch="F-1")
    assert (line.location_id, line.expected_qty, line.counted_qty) == (bin_a.pk, 0, 6)
    sheet = keeper.get(f"/inventory/stocktakes/{counting.pk}/sheet.xlsx")
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert any(r[0] == "A-01" and r[4] == "F-1" and r[7] == 6 for r in rows)
    main = counting.lines.get(lot__batch="N-1")
    data = {f"count-{main.pk}": "40", "submit": "1"}
    assert keeper.post(f"/inventory/stocktakes/{counting.pk}/", data).status_code == 302
    approve = {"decision": "approve"}
    assert client_for("commander").post(f"/inventory/stocktakes/{counting.pk}/approve/", approve).status_code == 302
    assert Stocktake.objects.get(pk=counting.pk).status == "approved"
    assert StockBalance.objects.get(lot__batch="F-1", location=bin_a).on_hand == 6
    assert queries.ledger_differences() == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"found_item": "NOPE"}, "found_item"),
        ({"found_location": "NOPE"}, "found_location"),
        ({"found_qty": "-1"}, "found_qty"),
        ({"found_batch": ""}, "found_batch"),
        ({"found_batch": "N-1", "found_expiry": str(in_days(5))}, "found_expiry"),
    ],
)
def test_found_stock_bad_input_is_a_field_error_and_writes_nothing(client_for, counting, bin_a, change, field):
    lines = StocktakeLine.objects.count()
    response = client_for("warehouse").post(f"/inventory/stocktakes/{counting.pk}/found/", _found(**change))
    assert response.status_code == 200
    assert f'data-field="{field}"' in response.content.decode()
    assert StocktakeLine.objects.count() == lines
    assert not Lot.objects.filter(batch="F-1").exists()


def test_found_stock_needs_permission_and_scope(client_for, counting, wh_yy, bin_a):
    assert client_for("auditor").post(f"/inventory/stocktakes/{counting.pk}/found/", _found()).status_code == 403
    theirs = actions.start_stocktake(
        wh_yy, actor=SYSTEM, locations=[actions.create_location(wh_yy, code="Y-1", name="Y-1", actor=SYSTEM)]
    )
    response = client_for("warehouse").post(f"/inventory/stocktakes/{theirs.pk}/found/", _found(found_location="Y-1"))
    assert response.status_code == 404
    assert not Lot.objects.filter(batch="F-1").exists()


# --- adjustment with approval ---------------------------------------------------------------------
def test_adjustment_above_the_approval_value_waits_and_the_list_shows_where(client_for, stocked, settings):
    settings.BAOGONG_ADJUSTMENT_APPROVAL_VALUE = "7.5"
    balance = StockBalance.objects.get(lot__batch="N-1")
    keeper = client_for("warehouse")
    assert "7.5" in keeper.get(f"/inventory/adjust/{balance.pk}/").content.decode()
    bad = keeper.post(f"/inventory/adjust/{balance.pk}/", {"qty_change": "-5", "reason": ""})
    assert 'data-field="reason"' in bad.content.decode()
    assert keeper.post(f"/inventory/adjust/{balance.pk}/", {"qty_change": "-5", "reason": "破损"}).status_code == 302
    assert StockBalance.objects.get(pk=balance.pk).on_hand == 40  # 5 × 2.00 = 10 > 7.5: waits
    page = keeper.get("/inventory/adjustments/").content.decode()
    assert "WH-TXQ/MAIN" in page and f'href="/inventory/lots/{balance.lot_id}/"' in page
    assert 'name="decision"' not in page  # the keeper may not approve
    boss = client_for("commander")
    adjustment_id = AuditEvent.objects.get(verb="adjust_stock").object_id
    assert boss.post(f"/inventory/adjustments/{adjustment_id}/decide/", {"decision": "approve"}).status_code == 302
    assert StockBalance.objects.get(pk=balance.pk).on_hand == 35
    assert queries.ledger_differences() == []
