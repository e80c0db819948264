"""The non-durable ledger primitives (baogong.inventory.ledger): they run inside the caller's
transaction, write nothing when short, record the public actions' audit events, and refuse to run
outside a transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from baogong.core.models import AuditEvent
from baogong.inventory import ledger, queries
from baogong.inventory.choices import LocationKind, MoveReason, ReservationStatus
from baogong.inventory.errors import InsufficientStock, InvalidState, StockInvalid
from baogong.inventory.ledger import IssueLineInput, MoveInput, ReceiptLineInput, ReserveNeed
from baogong.inventory.models import (
    Issue,
    IssueLine,
    Lot,
    Receipt,
    ReceiptLine,
    Reservation,
    StockBalance,
    StockMove,
)
from baogong.inventory.tests.conftest import SYSTEM, in_days


def balance(lot: Lot, location) -> tuple[int, int]:
    b = StockBalance.objects.get(lot=lot, location=location)
    return b.on_hand, b.reserved


def snapshot() -> tuple[int, ...]:
    return (
        StockMove.objects.count(),
        Issue.objects.count(),
        IssueLine.objects.count(),
        Reservation.objects.count(),
        AuditEvent.objects.count(),
        *StockBalance.objects.order_by("pk").values_list("on_hand", flat=True),
        *StockBalance.objects.order_by("pk").values_list("reserved", flat=True),
    )


@pytest.fixture
def stocked(txq, n95, water, receive):
    """N95: lot LATE (expiry +200 d, 30) and lot EARLY (expiry +20 d, 10); water: lot W (50)."""
    receive(txq, n95, "LATE", 30, expiry=in_days(200))
    receive(txq, n95, "EARLY", 10, expiry=in_days(20))
    receive(txq, water, "W", 50)
    return {
        "late": Lot.objects.get(batch="LATE"),
        "early": Lot.objects.get(batch="EARLY"),
        "water": Lot.objects.get(batch="W"),
        "store": queries.default_location(txq),
    }


# --- outside a transaction --------------------------------------------------------------------
def test_every_primitive_refuses_to_run_outside_a_transaction():
    # given no transaction is open (no database access at all: the check comes first)
    assert not transaction.get_connection().in_atomic_block
    calls = [
        lambda: ledger.receive(None, [], actor=SYSTEM),  # type: ignore[arg-type]
        lambda: ledger.issue(None, None, [], actor=SYSTEM),  # type: ignore[arg-type]
        lambda: ledger.move([], actor=SYSTEM, reason=MoveReason.ISSUE),
        lambda: ledger.reserve(None, None, 1, actor=SYSTEM, reference="R"),  # type: ignore[arg-type]
        lambda: ledger.reserve_many(None, [], actor=SYSTEM),  # type: ignore[arg-type]
        lambda: ledger.release(None, actor=SYSTEM),  # type: ignore[arg-type]
        lambda: ledger.consume_reservation(None, None, actor=SYSTEM, reason=MoveReason.ISSUE),  # type: ignore[arg-type]
    ]
    # when / then each refuses before touching anything
    for call in calls:
        with pytest.raises(ledger.OutsideTransaction):
            call()


# --- receive ----------------------------------------------------------------------------------
def test_receive_inside_the_callers_transaction_writes_lot_balance_move_line_and_audit(txq, n95):
    store = queries.default_location(txq)
    with transaction.atomic():
        receipt = ledger.receive(
            txq,
            [ReceiptLineInput(item=n95, batch="B1", qty=40, unit_cost=Decimal("2.50"), expiry=in_days(90))],
            actor=SYSTEM,
            reference="PO-7",
        )
    lot = Lot.objects.get(item=n95, batch="B1")
    assert balance(lot, store) == (40, 0)
    move = StockMove.objects.get(document_type="receipt", document_id=receipt.pk)
    assert (move.qty, move.from_location.kind, move.to_location_id, move.unit_cost, move.reference) == (
        40,
        LocationKind.SUPPLIER,
        store.pk,
        Decimal("2.5000"),
        "PO-7",
    )
    assert list(ReceiptLine.objects.filter(receipt=receipt).values_list("lot_id", "qty")) == [(lot.pk, 40)]
    event = AuditEvent.objects.get(verb="receive_stock")
    assert (event.after["lines"], event.after["qty"], event.after["value"], event.site_id) == (1, 40, "100.00", txq.pk)
    assert queries.ledger_differences() == []


def test_receive_adds_to_existing_balances_and_creates_the_missing_ones(txq, n95, water, receive):
    # given four known lots with stock (more than the three single-row updates) and one new batch
    for batch in ("K1", "K2", "K3", "K4"):
        receive(txq, n95, batch, 5)
    store = queries.default_location(txq)
    lines = [ReceiptLineInput(item=n95, batch=b, qty=10, unit_cost=Decimal("1")) for b in ("K1", "K2", "K3", "K4")]
    lines += [
        ReceiptLineInput(item=water, batch="NEW", qty=7, unit_cost=Decimal("1")),
        ReceiptLineInput(item=n95, batch="K1", qty=1, unit_cost=Decimal("1")),
    ]
    # when
    with transaction.atomic():
        ledger.receive(txq, lines, actor=SYSTEM)
    # then
    got = {b: balance(Lot.objects.get(batch=b), store)[0] for b in ("K1", "K2", "K3", "K4", "NEW")}
    assert got == {"K1": 16, "K2": 15, "K3": 15, "K4": 15, "NEW": 7}
    assert queries.ledger_differences() == []


def test_receive_refuses_a_known_batch_with_another_expiry_and_writes_nothing(txq, n95, receive):
    receive(txq, n95, "B1", 5, expiry=in_days(30))
    before = snapshot()
    receipts = Receipt.objects.count()
    with pytest.raises(StockInvalid) as err, transaction.atomic():
        ledger.receive(
            txq,
            [
                ReceiptLineInput(item=n95, batch="OTHER", qty=3, unit_cost=Decimal("1")),
                ReceiptLineInput(item=n95, batch="B1", qty=3, unit_cost=Decimal("1"), expiry=in_days(31)),
            ],
            actor=SYSTEM,
        )
    assert "expiry" in err.value.details["lines"]["1"]
    assert snapshot() == before and Receipt.objects.count() == receipts
    assert not Lot.objects.filter(batch="OTHER").exists()


def test_a_large_receipt_takes_a_bounded_number_of_statements(txq, n95, water):
    # given 1,500 lines (more than one bulk batch and one IN-list chunk) over two items
    def lines(n: int, prefix: str) -> list[ReceiptLineInput]:
        return [
            ReceiptLineInput(item=(n95, water)[i % 2], batch=f"{prefix}{i:05d}", qty=1 + i % 9, unit_cost=Decimal("3"))
            for i in range(n)
        ]

    with CaptureQueriesContext(connection) as small, transaction.atomic():
        ledger.receive(txq, lines(10, "S"), actor=SYSTEM)
    with CaptureQueriesContext(connection) as large, transaction.atomic():
        receipt = ledger.receive(txq, lines(1500, "L"), actor=SYSTEM)
    # then the statements grow with batches of 1,000 rows, not with lines
    assert len(large.captured_queries) <= len(small.captured_queries) + 12
    assert ReceiptLine.objects.filter(receipt=receipt).count() == 1500
    assert StockMove.objects.filter(document_type="receipt", document_id=receipt.pk).count() == 1500
    assert sum(StockBalance.objects.filter(lot__batch__startswith="L").values_list("on_hand", flat=True)) == sum(
        1 + i % 9 for i in range(1500)
    )
    assert queries.ledger_differences() == []


# --- issue ------------------------------------------------------------------------------------
def test_issue_picks_earliest_expiry_first_and_records_the_issue_event(stocked, txq, hospital, n95):
    with transaction.atomic():
        issue = ledger.issue(txq, hospital, [IssueLineInput(item=n95, qty=12)], actor=SYSTEM, reference="REQ-1")
    assert list(IssueLine.objects.filter(issue=issue).values_list("lot__batch", "qty")) == [
        ("EARLY", 10),
        ("LATE", 2),
    ]
    assert balance(stocked["early"], stocked["store"]) == (0, 0)
    assert balance(stocked["late"], stocked["store"]) == (28, 0)
    assert balance(stocked["late"], queries.recipient_location(hospital)) == (2, 0)
    event = AuditEvent.objects.get(verb="issue_stock")
    assert event.after["lines"] == [
        {"item": "N95", "lot": "EARLY", "qty": 10},
        {"item": "N95", "lot": "LATE", "qty": 2},
    ]
    assert event.site_id == txq.pk
    assert queries.ledger_differences() == []


def test_issue_short_raises_and_writes_nothing(stocked, txq, hospital, n95, water):
    before = snapshot()
    with pytest.raises(InsufficientStock) as err, transaction.atomic():
        ledger.issue(txq, hospital, [IssueLineInput(item=water, qty=5), IssueLineInput(item=n95, qty=41)], actor=SYSTEM)
    assert err.value.lines == [{"line": 1, "item": "N95", "lot": None, "requested": 41, "available": 40}]
    assert snapshot() == before


def test_a_shortage_rolls_back_the_callers_earlier_writes_in_the_same_transaction(stocked, txq, hospital, n95):
    # given the caller receives and then issues more than there is, in ONE transaction
    before = snapshot()

    def receive_then_issue() -> None:
        with transaction.atomic():
            ledger.receive(txq, [ReceiptLineInput(item=n95, batch="MORE", qty=5, unit_cost=Decimal("1"))], actor=SYSTEM)
            ledger.issue(txq, hospital, [IssueLineInput(item=n95, qty=46)], actor=SYSTEM)

    with pytest.raises(InsufficientStock):
        receive_then_issue()
    # then neither happened
    assert snapshot() == before
    assert not Lot.objects.filter(batch="MORE").exists()


# --- move -------------------------------------------------------------------------------------
def test_move_between_locations_with_its_audit_event(stocked, txq, n95):
    bin_a = ledger_bin(txq, "A-01")
    with transaction.atomic():
        [move] = ledger.move(
            [MoveInput(item=n95, lot=stocked["late"], from_location=stocked["store"], to_location=bin_a, qty=12)],
            actor=SYSTEM,
            reason=MoveReason.TRANSFER,
            reference="PUT-1",
        )
    assert (move.qty, move.reason, move.reference) == (12, MoveReason.TRANSFER, "PUT-1")
    assert balance(stocked["late"], stocked["store"]) == (18, 0)
    assert balance(stocked["late"], bin_a) == (12, 0)
    event = AuditEvent.objects.get(verb="move_stock")
    assert event.after["moves"] == [{"lot": "LATE", "from": "WH-TXQ/MAIN", "to": "WH-TXQ/A-01", "qty": 12}]
    assert queries.ledger_differences() == []


def test_move_short_raises_and_writes_nothing(stocked, txq, n95):
    bin_a = ledger_bin(txq, "A-02")
    before = snapshot()
    with pytest.raises(InsufficientStock), transaction.atomic():
        ledger.move(
            [
                MoveInput(item=n95, lot=stocked["early"], from_location=stocked["store"], to_location=bin_a, qty=10),
                MoveInput(item=n95, lot=stocked["late"], from_location=stocked["store"], to_location=bin_a, qty=31),
            ],
            actor=SYSTEM,
            reason=MoveReason.TRANSFER,
        )
    assert snapshot() == before


def test_move_refuses_bad_lines_with_field_errors(stocked, txq, n95, water):
    with pytest.raises(StockInvalid) as err, transaction.atomic():
        ledger.move(
            [
                MoveInput(
                    item=water, lot=stocked["late"], from_location=stocked["store"], to_location=stocked["store"], qty=0
                )
            ],
            actor=SYSTEM,
            reason=MoveReason.TRANSFER,
        )
    assert set(err.value.details["lines"]["0"]) == {"qty", "lot", "to_location"}


def ledger_bin(site, code):
    from baogong.inventory.actions import create_location

    return create_location(site, code=code, name=code, actor=SYSTEM)


# --- reservations -----------------------------------------------------------------------------
def test_reserve_many_reserves_every_need_fefo_in_one_audit_event(stocked, txq, n95, water):
    needs = [
        ReserveNeed(key="a", item=n95, qty=15, reference="ALLOC-1/a"),
        ReserveNeed(key="b", item=water, qty=20, reference="ALLOC-1/b"),
    ]
    with transaction.atomic():
        made = ledger.reserve_many(txq, needs, actor=SYSTEM)
    assert [(r.lot.batch, r.qty) for r in made["a"]] == [("EARLY", 10), ("LATE", 5)]
    assert [(r.lot.batch, r.qty, r.reference) for r in made["b"]] == [("W", 20, "ALLOC-1/b")]
    assert balance(stocked["early"], stocked["store"]) == (10, 10)
    assert balance(stocked["late"], stocked["store"]) == (30, 5)
    assert balance(stocked["water"], stocked["store"]) == (50, 20)
    [event] = AuditEvent.objects.filter(verb="reserve_stock")
    assert [(line["item"], line["lot"], line["qty"]) for line in event.after["lines"]] == [
        ("N95", "EARLY", 10),
        ("N95", "LATE", 5),
        ("WATER", "W", 20),
    ]
    assert queries.ledger_differences() == []


def test_reserve_many_is_all_or_nothing(stocked, txq, n95, water):
    before = snapshot()
    needs = [
        ReserveNeed(key="a", item=n95, qty=15, reference="R"),
        ReserveNeed(key="b", item=water, qty=51, reference="R"),
    ]
    with pytest.raises(InsufficientStock) as err, transaction.atomic():
        ledger.reserve_many(txq, needs, actor=SYSTEM)
    assert err.value.lines == [{"line": 1, "item": "WATER", "lot": None, "requested": 51, "available": 50}]
    assert snapshot() == before


def test_reserve_one_item_and_its_shortage(stocked, txq, n95):
    with transaction.atomic():
        made = ledger.reserve(txq, n95, 12, actor=SYSTEM, reference="SHIP-9")
    assert [(r.lot.batch, r.qty, r.status) for r in made] == [("EARLY", 10, "active"), ("LATE", 2, "active")]
    assert AuditEvent.objects.get(verb="reserve_stock").after["qty"] == 12
    before = snapshot()
    with pytest.raises(InsufficientStock), transaction.atomic():
        ledger.reserve(txq, n95, 29, actor=SYSTEM, reference="SHIP-10")
    assert snapshot() == before


def test_release_gives_back_part_then_all_with_audit(stocked, txq, n95):
    with transaction.atomic():
        [reservation] = ledger.reserve(txq, n95, 6, actor=SYSTEM, reference="R-1")
        partly = ledger.release(reservation, actor=SYSTEM, qty=4)
    assert (partly.qty, partly.status) == (2, ReservationStatus.ACTIVE)
    assert balance(stocked["early"], stocked["store"]) == (10, 2)
    with transaction.atomic():
        done = ledger.release(reservation, actor=SYSTEM)
    assert (done.qty, done.status) == (0, ReservationStatus.RELEASED)
    assert balance(stocked["early"], stocked["store"]) == (10, 0)
    events = list(AuditEvent.objects.filter(verb="release_reservation").order_by("pk").values_list("after", flat=True))
    assert events == [{"qty": 2, "status": "active"}, {"qty": 0, "status": "released"}]
    assert queries.ledger_differences() == []


def test_consume_reservation_moves_the_reserved_units_out(stocked, txq, n95, hospital):
    destination = queries.recipient_location(hospital)
    with transaction.atomic():
        [reservation] = ledger.reserve(txq, n95, 8, actor=SYSTEM, reference="SHIP-1")
        [move] = ledger.consume_reservation(reservation, destination, actor=SYSTEM, reason=MoveReason.ISSUE, qty=3)
    assert (move.qty, move.to_location_id, move.reference) == (3, destination.pk, "SHIP-1")
    reservation.refresh_from_db()
    assert (reservation.qty, reservation.status) == (5, ReservationStatus.ACTIVE)
    assert balance(stocked["early"], stocked["store"]) == (7, 5)
    with transaction.atomic():
        ledger.consume_reservation(reservation, destination, actor=SYSTEM, reason=MoveReason.ISSUE)
    reservation.refresh_from_db()
    assert (reservation.qty, reservation.status) == (0, ReservationStatus.CONSUMED)
    assert balance(stocked["early"], stocked["store"]) == (2, 0)
    assert balance(stocked["early"], destination) == (8, 0)
    assert AuditEvent.objects.filter(verb="move_stock").count() == 2
    assert queries.ledger_differences() == []


def test_consume_reservation_refuses_more_than_is_open(stocked, txq, n95, hospital):
    with transaction.atomic():
        [reservation] = ledger.reserve(txq, n95, 2, actor=SYSTEM, reference="SHIP-2")
    before = snapshot()
    with pytest.raises(InvalidState), transaction.atomic():
        ledger.consume_reservation(
            reservation, queries.recipient_location(hospital), actor=SYSTEM, reason=MoveReason.ISSUE, qty=3
        )
    assert snapshot() == before


def test_move_many_consumes_each_reservation_as_one_move_at_a_time_would(stocked, txq, n95, water, hospital):
    destination = queries.recipient_location(hospital)
    with transaction.atomic():
        [early] = ledger.reserve(txq, n95, 6, actor=SYSTEM, reference="SH-1")
        [late] = ledger.reserve(txq, n95, 4, actor=SYSTEM, reference="SH-2")
        [drink] = ledger.reserve(txq, water, 20, actor=SYSTEM, reference="SH-3")
    store = stocked["store"]
    groups = [
        ledger.MoveGroup([MoveInput(r.lot.item, r.lot, store, destination, qty, reservation=r)], reference=r.reference)
        for r, qty in ((early, 6), (late, 1), (drink, 15))
    ]
    with transaction.atomic():
        moved = ledger.move_many(groups, actor=SYSTEM, reason=MoveReason.ISSUE)
    assert [[m.qty for m in ms] for ms in moved] == [[6], [1], [15]]
    for reservation in (early, late, drink):
        reservation.refresh_from_db()
    assert [(r.qty, r.status) for r in (early, late, drink)] == [
        (0, ReservationStatus.CONSUMED),
        (3, ReservationStatus.ACTIVE),
        (5, ReservationStatus.ACTIVE),
    ]
    assert sum(b.reserved for b in StockBalance.objects.filter(location=store)) == 8
    assert AuditEvent.objects.filter(verb="move_stock").count() == 3
    assert queries.ledger_differences() == []
