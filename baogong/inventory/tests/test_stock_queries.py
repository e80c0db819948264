"""The stock-on-hand queries: every filter, scoping, and a page count on the balance table alone."""

from __future__ import annotations

from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from baogong.inventory import actions, queries
from baogong.inventory.tests.conftest import SYSTEM, in_days


def batches(user, query: str = "") -> list[str]:
    qs = queries.stock_on_hand(queries.filter_balances(queries.balances_for(user), QueryDict(query)))
    return sorted(b.lot.batch for b in qs)


def setup_stock(txq, wh_yy, n95, water, receive):
    receive(txq, n95, "N-SOON", 5, expiry=in_days(5))
    receive(txq, n95, "N-LATE", 6, expiry=in_days(300))
    receive(txq, water, "W-1", 7)
    receive(txq, water, "W-QC", 8, qc="quarantined")
    receive(wh_yy, n95, "YY-1", 9, expiry=in_days(200))


def test_each_filter_selects_its_balances(txq, wh_yy, n95, water, receive, user):
    setup_stock(txq, wh_yy, n95, water, receive)
    commander = user("commander")
    assert batches(commander) == ["N-LATE", "N-SOON", "W-1", "W-QC", "YY-1"]
    assert batches(commander, "warehouse=WH-YY") == ["YY-1"]
    assert batches(commander, f"warehouse={txq.pk}") == ["N-LATE", "N-SOON", "W-1", "W-QC"]
    assert batches(commander, "item=WATER") == ["W-1", "W-QC"]
    assert batches(commander, "category=EPI") == ["N-LATE", "N-SOON", "YY-1"]
    assert batches(commander, "qc_status=quarantined") == ["W-QC"]
    assert batches(commander, "expiry=30") == ["N-SOON"]
    assert batches(commander, "q=n-l") == ["N-LATE"]
    assert batches(commander, "q=饮用") == ["W-1", "W-QC"]
    assert batches(commander, "warehouse=WH-TXQ&category=EPI&expiry=400") == ["N-LATE", "N-SOON"]


def test_a_warehouse_outside_the_users_scope_shows_nothing(txq, wh_yy, n95, water, receive, user):
    setup_stock(txq, wh_yy, n95, water, receive)
    keeper = user("warehouse")  # 泰兴桥 only
    assert batches(keeper) == ["N-LATE", "N-SOON", "W-1", "W-QC"]
    assert batches(keeper, "warehouse=WH-YY") == []


def test_a_page_count_reads_the_balance_table_alone(txq, wh_yy, n95, water, receive, user):
    setup_stock(txq, wh_yy, n95, water, receive)
    qs = queries.stock_on_hand(
        queries.filter_balances(queries.balances_for(user("commander")), QueryDict("warehouse=WH-TXQ&expiry=400"))
    )
    with CaptureQueriesContext(connection) as counted:
        assert qs.count() == 2
    sql = counted.captured_queries[-1]["sql"].upper()
    assert "JOIN" not in sql and "COUNT(" in sql
    # and the page rows still carry their value at lot cost (2.00 each)
    assert sorted((b.lot.batch, b.value) for b in qs) == [("N-LATE", 12), ("N-SOON", 10)]


def test_moved_stock_is_listed_where_it_is(txq, wh_yy, n95, water, receive, user):
    setup_stock(txq, wh_yy, n95, water, receive)
    bin_a = actions.create_location(txq, code="A-1", name="A-1", actor=SYSTEM)
    lot = n95.lots.get(batch="N-LATE")
    actions.transfer_stock(
        txq,
        [actions.TransferLineInput(lot=lot, from_location=queries.default_location(txq), qty=6, to_location=bin_a)],
        actor=SYSTEM,
    )
    rows = queries.stock_on_hand(
        queries.filter_balances(queries.balances_for(user("warehouse")), QueryDict("q=N-LATE"))
    )
    assert [(b.location.code, b.on_hand) for b in rows] == [("A-1", 6)]
