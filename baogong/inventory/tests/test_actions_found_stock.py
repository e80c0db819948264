"""count_found_stock: a lot counted in a bin that is not on the count sheet."""

from __future__ import annotations

from decimal import Decimal

import pytest

from baogong.core.models import AuditEvent
from baogong.inventory import actions, queries
from baogong.inventory.errors import InvalidState, StockInvalid
from baogong.inventory.models import Lot, StockBalance, StockMove, StocktakeLine
from baogong.inventory.tests.conftest import SYSTEM, in_days


@pytest.fixture
def bin_a(txq):
    return actions.create_location(txq, code="A-01", name="A-01", actor=SYSTEM)


@pytest.fixture
def counting(txq, n95, receive, bin_a):
    receive(txq, n95, "N-1", 40, expiry=in_days(100), location=bin_a)
    return actions.start_stocktake(txq, actor=SYSTEM)


def _approve(stocktake):
    actions.record_counts(
        stocktake,
        {line.pk: line.expected_qty for line in stocktake.lines.filter(counted_qty__isnull=True)},
        actor=SYSTEM,
    )
    actions.submit_stocktake(stocktake, actor=SYSTEM)
    return actions.approve_stocktake(stocktake, actor=SYSTEM)


def test_new_batch_is_created_counted_and_posted_on_approval(counting, n95, bin_a):
    # given a count of the warehouse
    # when the counter finds a box of a batch nobody knew about
    line = actions.count_found_stock(
        counting, item=n95, location=bin_a, qty=7, batch="FOUND-1", expiry=in_days(300), actor=SYSTEM
    )
    # then the lot exists, released, at the item's reference price, with an expected quantity of 0
    lot = Lot.objects.get(item=n95, batch="FOUND-1")
    assert (lot.expiry, lot.unit_cost, lot.qc_status) == (in_days(300), Decimal("250"), "released")
    assert (line.expected_qty, line.counted_qty, line.variance) == (0, 7, 7)
    event = AuditEvent.objects.get(verb="count_found_stock")
    assert event.after["batch"] == "FOUND-1" and event.after["new_lot"] is True and event.after["counted"] == 7
    # and approving posts the 7 units into the bin
    _approve(counting)
    assert StockBalance.objects.get(lot=lot, location=bin_a).on_hand == 7
    assert StockMove.objects.get(lot=lot).qty == 7
    assert queries.ledger_differences() == []


def test_existing_lot_in_another_bin_expects_what_the_books_hold(txq, counting, n95, bin_a, receive):
    # given N-1 also sits in MAIN after the count started (so it is not on the sheet)
    receive(txq, n95, "N-1", 5, expiry=in_days(100))
    main = queries.default_location(txq)
    # when the counter finds 3 of N-1 in MAIN
    line = actions.count_found_stock(counting, item=n95, location=main, qty=3, batch="N-1", actor=SYSTEM)
    # then the line expects the 5 on the books and approval posts −2
    assert (line.expected_qty, line.counted_qty) == (5, 3)
    assert Lot.objects.filter(item=n95, batch="N-1").count() == 1
    _approve(counting)
    assert StockBalance.objects.get(lot__batch="N-1", location=main).on_hand == 3
    assert StockBalance.objects.get(lot__batch="N-1", location=bin_a).on_hand == 40
    assert queries.ledger_differences() == []


def test_counting_the_same_found_lot_again_replaces_the_count(counting, n95, bin_a):
    actions.count_found_stock(counting, item=n95, location=bin_a, qty=7, batch="F-2", actor=SYSTEM)
    actions.count_found_stock(counting, item=n95, location=bin_a, qty=9, batch="F-2", actor=SYSTEM)
    assert list(StocktakeLine.objects.filter(lot__batch="F-2").values_list("counted_qty", flat=True)) == [9]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"qty": -1, "batch": "F-3"}, "qty"),
        ({"qty": 1, "batch": ""}, "batch"),
        ({"qty": 1, "batch": "N-1", "expiry": in_days(5)}, "expiry"),
    ],
)
def test_bad_input_is_refused_per_field_and_writes_nothing(counting, n95, bin_a, kwargs, field):
    lines_before = StocktakeLine.objects.count()
    with pytest.raises(StockInvalid) as refused:
        actions.count_found_stock(counting, item=n95, location=bin_a, actor=SYSTEM, **kwargs)
    assert field in refused.value.details
    assert StocktakeLine.objects.count() == lines_before
    assert not Lot.objects.filter(batch="F-3").exists()
    assert not AuditEvent.objects.filter(verb="count_found_stock").exists()


def test_bin_of_another_warehouse_is_refused(counting, n95, wh_yy):
    other = actions.create_location(wh_yy, code="Y-01", name="Y-01", actor=SYSTEM)
    with pytest.raises(StockInvalid) as refused:
        actions.count_found_stock(counting, item=n95, location=other, qty=1, batch="F-4", actor=SYSTEM)
    assert "location" in refused.value.details
    assert not Lot.objects.filter(batch="F-4").exists()


def test_only_while_counting(counting, n95, bin_a):
    actions.cancel_stocktake(counting, actor=SYSTEM)
    with pytest.raises(InvalidState):
        actions.count_found_stock(counting, item=n95, location=bin_a, qty=1, batch="F-5", actor=SYSTEM)
    assert not Lot.objects.filter(batch="F-5").exists()
