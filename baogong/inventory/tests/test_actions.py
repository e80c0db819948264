from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from baogong.core.models import AuditEvent
from baogong.inventory import actions, queries
from baogong.inventory.actions import IssueLineInput, MoveInput, ReceiptLineInput, TransferLineInput
from baogong.inventory.choices import QcStatus, ReservationStatus
from baogong.inventory.errors import AlreadyReversed, InsufficientStock, LotNotReleased, StockInvalid
from baogong.inventory.models import (
    Issue,
    LedgerIsAppendOnly,
    Lot,
    StockBalance,
    StockMove,
)
from baogong.inventory.tests.conftest import SYSTEM, in_days


def on_hand(lot, location) -> tuple[int, int]:
    b = StockBalance.objects.get(lot=lot, location=location)
    return b.on_hand, b.reserved


def ledger_ok() -> bool:
    return queries.ledger_differences() == []


def test_receive_stock_creates_lot_balance_moves_and_audit(txq, n95):
    receipt = actions.receive_stock(
        txq,
        [ReceiptLineInput(item=n95, batch="B1", qty=100, unit_cost=Decimal("2.50"), expiry=in_days(200))],
        actor=SYSTEM,
        reference="PO-1",
        supplier_ref="SUP-9",
    )
    lot = Lot.objects.get(item=n95, batch="B1")
    store = queries.default_location(txq)
    assert lot.unit_cost == Decimal("2.5000") and lot.qc_status == QcStatus.RELEASED and lot.supplier_ref == "SUP-9"
    assert on_hand(lot, store) == (100, 0)
    move = StockMove.objects.get(document_type="receipt", document_id=receipt.pk)
    assert (move.qty, move.from_location.kind, move.to_location_id, move.reference) == (
        100,
        "supplier",
        store.pk,
        "PO-1",
    )
    event = AuditEvent.objects.get(verb="receive_stock")
    assert event.after["qty"] == 100 and event.after["value"] == "250.00" and event.site_id == txq.pk
    assert ledger_ok()


def test_receive_stock_refuses_bad_lines_and_writes_nothing(txq, n95):
    with pytest.raises(StockInvalid) as err:
        actions.receive_stock(
            txq,
            [
                ReceiptLineInput(item=n95, batch="B1", qty=5, unit_cost=Decimal("1")),
                ReceiptLineInput(item=n95, batch="B2", qty=0, unit_cost=Decimal("-1")),
            ],
            actor=SYSTEM,
        )
    assert set(err.value.details["lines"]["1"]) == {"qty", "unit_cost"}
    assert not Lot.objects.exists() and not StockMove.objects.exists()


def test_receive_into_known_batch_with_other_expiry_is_refused(txq, n95, receive):
    receive(txq, n95, "B1", 10, expiry=in_days(100))
    with pytest.raises(StockInvalid):
        receive(txq, n95, "B1", 10, expiry=in_days(50))
    assert StockMove.objects.count() == 1


def test_issue_stock_picks_earliest_expiry_first_and_skips_unusable_lots(txq, hospital, n95, receive):
    receive(txq, n95, "LATE", 50, expiry=in_days(300))
    receive(txq, n95, "EARLY", 30, expiry=in_days(20))
    receive(txq, n95, "EXPIRED", 40, expiry=in_days(-1))
    receive(txq, n95, "PENDING", 40, expiry=in_days(5), qc="pending")
    issue = actions.issue_stock(txq, hospital, [IssueLineInput(item=n95, qty=45)], actor=SYSTEM, reference="REQ-1")
    lines = sorted((line.lot.batch, line.qty) for line in issue.lines.all())
    assert lines == [("EARLY", 30), ("LATE", 15)]
    recipient = queries.recipient_location(hospital)
    assert on_hand(Lot.objects.get(batch="EARLY"), recipient) == (30, 0)
    assert queries.available([txq.pk], [n95.pk]) == {(txq.pk, n95.pk): 35}
    assert AuditEvent.objects.filter(verb="issue_stock", object_id=str(issue.pk)).count() == 1
    assert ledger_ok()


def test_issue_stock_short_raises_and_writes_nothing(txq, hospital, n95, water, receive):
    receive(txq, n95, "A", 10, expiry=in_days(30))
    receive(txq, water, "W", 5)
    moves_before = StockMove.objects.count()
    with pytest.raises(InsufficientStock) as err:
        actions.issue_stock(
            txq, hospital, [IssueLineInput(item=n95, qty=5), IssueLineInput(item=water, qty=6)], actor=SYSTEM
        )
    assert err.value.code == "insufficient_stock"
    assert err.value.lines == [{"line": 1, "item": "WATER", "lot": None, "requested": 6, "available": 5}]
    assert StockMove.objects.count() == moves_before and not Issue.objects.exists()
    assert queries.available([txq.pk], [n95.pk, water.pk]) == {(txq.pk, n95.pk): 10, (txq.pk, water.pk): 5}


def test_issue_of_a_named_lot_that_is_not_released_is_refused(txq, hospital, n95, receive):
    receive(txq, n95, "Q", 10, qc="quarantined")
    lot = Lot.objects.get(batch="Q")
    with pytest.raises(LotNotReleased):
        actions.issue_stock(txq, hospital, [IssueLineInput(item=n95, qty=1, lot=lot)], actor=SYSTEM)


def test_reserve_then_issue_respects_reserved_units(txq, hospital, n95, receive):
    receive(txq, n95, "A", 10, expiry=in_days(30))
    receive(txq, n95, "B", 10, expiry=in_days(60))
    reservations = actions.reserve_stock(txq, n95, 15, actor=SYSTEM, reference="ALLOC-1")
    assert [(r.lot.batch, r.qty) for r in reservations] == [("A", 10), ("B", 5)]
    assert queries.available([txq.pk], [n95.pk]) == {(txq.pk, n95.pk): 5}
    with pytest.raises(InsufficientStock):
        actions.issue_stock(txq, hospital, [IssueLineInput(item=n95, qty=6)], actor=SYSTEM)
    with pytest.raises(InsufficientStock):
        actions.reserve_stock(txq, n95, 6, actor=SYSTEM, reference="ALLOC-2")
    released = actions.release_reservation(reservations[1], actor=SYSTEM, qty=2)
    assert (released.qty, released.status) == (3, ReservationStatus.ACTIVE)
    assert queries.available([txq.pk], [n95.pk]) == {(txq.pk, n95.pk): 7}
    assert AuditEvent.objects.filter(verb__in=["reserve_stock", "release_reservation"]).count() == 2
    assert ledger_ok()


def test_move_stock_consumes_reservation_through_in_transit(txq, hospital, n95, receive):
    receive(txq, n95, "A", 10, expiry=in_days(30))
    [reservation] = actions.reserve_stock(txq, n95, 8, actor=SYSTEM, reference="SHIP-1")
    lot, store = reservation.lot, reservation.location
    transit = queries.in_transit_location(txq)
    recipient = queries.recipient_location(hospital)
    actions.move_stock(
        [MoveInput(item=n95, lot=lot, from_location=store, to_location=transit, qty=8, reservation=reservation)],
        actor=SYSTEM,
        reason="shipment",
        reference="SHIP-1",
    )
    reservation.refresh_from_db()
    assert (reservation.qty, reservation.status) == (0, ReservationStatus.CONSUMED)
    assert on_hand(lot, store) == (2, 0) and on_hand(lot, transit) == (8, 0)
    actions.move_stock(
        [
            MoveInput(item=n95, lot=lot, from_location=transit, to_location=recipient, qty=7),
            MoveInput(item=n95, lot=lot, from_location=transit, to_location=queries.virtual_location("loss"), qty=1),
        ],
        actor=SYSTEM,
        reason="delivery",
        reference="SHIP-1",
    )
    [dest] = queries.lot_destinations(lot)
    assert (dest.site_code, dest.qty) == ("FH-FCL", 7)
    assert ledger_ok()


def test_move_of_quarantined_lot_only_to_quarantine(txq, hospital, n95, receive):
    receive(txq, n95, "A", 10, qc="quarantined")
    lot = Lot.objects.get(batch="A")
    store = queries.default_location(txq)
    with pytest.raises(LotNotReleased):
        actions.move_stock(
            [
                MoveInput(
                    item=n95, lot=lot, from_location=store, to_location=queries.recipient_location(hospital), qty=1
                )
            ],
            actor=SYSTEM,
            reason="issue",
        )
    actions.move_stock(
        [MoveInput(item=n95, lot=lot, from_location=store, to_location=queries.quarantine_location(txq), qty=10)],
        actor=SYSTEM,
        reason="quarantine",
    )
    assert on_hand(lot, queries.quarantine_location(txq)) == (10, 0)


def test_quarantine_lot_everywhere_moves_all_units_and_releases_reservations(txq, wh_yy, hospital, n95, receive):
    receive(txq, n95, "BAD", 10, expiry=in_days(90))
    receive(wh_yy, n95, "BAD", 5, expiry=in_days(90))
    lot = Lot.objects.get(batch="BAD")
    actions.issue_stock(txq, hospital, [IssueLineInput(item=n95, qty=3)], actor=SYSTEM)
    [reservation] = actions.reserve_stock(txq, n95, 4, actor=SYSTEM, reference="R")
    moves = actions.quarantine_lot_everywhere(lot, reason="假冒嫌疑", actor=SYSTEM)
    assert sorted(m.qty for m in moves) == [5, 7]
    lot.refresh_from_db()
    reservation.refresh_from_db()
    assert lot.qc_status == QcStatus.QUARANTINED and reservation.status == ReservationStatus.RELEASED
    assert on_hand(lot, queries.quarantine_location(txq)) == (7, 0)
    assert on_hand(lot, queries.quarantine_location(wh_yy)) == (5, 0)
    assert [(d.site_code, d.qty) for d in queries.lot_destinations(lot)] == [("FH-FCL", 3)]
    assert AuditEvent.objects.filter(verb="quarantine_lot_everywhere").count() == 1
    assert ledger_ok()


def test_set_lot_qc_status_release_makes_lot_available(txq, n95, receive):
    receive(txq, n95, "P", 10, qc="pending")
    lot = Lot.objects.get(batch="P")
    assert queries.available([txq.pk], [n95.pk]) == {}
    actions.set_lot_qc_status(lot, "released", reason="", actor=SYSTEM)
    assert queries.available([txq.pk], [n95.pk]) == {(txq.pk, n95.pk): 10}
    with pytest.raises(StockInvalid):
        actions.set_lot_qc_status(lot, "rejected", reason=" ", actor=SYSTEM)
    assert AuditEvent.objects.get(verb="set_lot_qc_status").after["qc_status"] == "released"


def test_reverse_move_restores_balances_once(txq, hospital, n95, receive):
    receive(txq, n95, "A", 10)
    issue = actions.issue_stock(txq, hospital, [IssueLineInput(item=n95, qty=4)], actor=SYSTEM)
    move = StockMove.objects.get(document_type="issue", document_id=issue.pk)
    reversal = actions.reverse_move(move, actor=SYSTEM, reason="wrong recipient")
    assert reversal.reverses_id == move.pk and reversal.qty == 4
    assert queries.available([txq.pk], [n95.pk]) == {(txq.pk, n95.pk): 10}
    with pytest.raises(AlreadyReversed):
        actions.reverse_move(move, actor=SYSTEM)
    assert ledger_ok()


def test_transfer_between_bins_and_between_warehouses(txq, wh_yy, n95, receive, system):
    bin_a = actions.create_location(txq, code="A-01", name="A-01", actor=system)
    receive(txq, n95, "A", 10, location=bin_a)
    lot = Lot.objects.get(batch="A")
    bin_b = actions.create_location(txq, code="B-01", name="B-01", actor=system)
    actions.transfer_stock(
        txq, [TransferLineInput(lot=lot, from_location=bin_a, to_location=bin_b, qty=4)], actor=system
    )
    assert on_hand(lot, bin_b) == (4, 0)
    transfer = actions.transfer_stock(
        txq, [TransferLineInput(lot=lot, from_location=bin_a, qty=6)], actor=system, destination=wh_yy
    )
    assert on_hand(lot, queries.in_transit_location(txq)) == (6, 0)
    actions.receive_transfer(transfer, actor=system)
    assert on_hand(lot, queries.default_location(wh_yy)) == (6, 0)
    assert queries.available([txq.pk, wh_yy.pk], [n95.pk]) == {(txq.pk, n95.pk): 4, (wh_yy.pk, n95.pk): 6}
    assert ledger_ok()


def test_adjust_stock_small_posts_large_waits_for_approval(txq, n95, receive, user, settings):
    settings.BAOGONG_ADJUSTMENT_APPROVAL_VALUE = "100"
    receive(txq, n95, "A", 100, cost="10.00")
    lot = Lot.objects.get(batch="A")
    store = queries.default_location(txq)
    keeper, commander = user("warehouse"), user("commander")
    small = actions.adjust_stock(txq, lot, store, -3, reason="破损", actor=keeper)
    assert small.status == "posted" and on_hand(lot, store) == (97, 0)
    big = actions.adjust_stock(txq, lot, store, -20, reason="盘亏", actor=keeper)
    assert big.status == "pending" and big.value == Decimal("200.00") and on_hand(lot, store) == (97, 0)
    with pytest.raises(Exception):
        actions.decide_adjustment(big, approve=True, actor=keeper)
    actions.decide_adjustment(big, approve=True, actor=commander)
    assert on_hand(lot, store) == (77, 0)
    with pytest.raises(StockInvalid):
        actions.adjust_stock(txq, lot, store, 5, reason="", actor=keeper)
    assert ledger_ok()


def test_stocktake_posts_variances_on_approval(txq, n95, water, receive, system):
    receive(txq, n95, "A", 10)
    receive(txq, water, "W", 20)
    stocktake = actions.start_stocktake(txq, actor=system, is_blind=True)
    lines = {line.lot.batch: line for line in stocktake.lines.all()}
    assert {b: line.expected_qty for b, line in lines.items()} == {"A": 10, "W": 20}
    actions.record_counts(stocktake, {lines["A"].pk: 8, lines["W"].pk: 21}, actor=system)
    actions.submit_stocktake(stocktake, actor=system)
    actions.approve_stocktake(stocktake, actor=system)
    store = queries.default_location(txq)
    assert on_hand(Lot.objects.get(batch="A"), store) == (8, 0)
    assert on_hand(Lot.objects.get(batch="W"), store) == (21, 0)
    assert StockMove.objects.filter(reason="stocktake").count() == 2
    assert ledger_ok()


def test_stock_moves_are_append_only_in_code_and_database(txq, n95, receive):
    receive(txq, n95, "A", 10)
    move = StockMove.objects.get()
    with pytest.raises(LedgerIsAppendOnly):
        move.save()
    with pytest.raises(LedgerIsAppendOnly):
        move.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        StockMove.objects.filter(pk=move.pk).update(qty=99)
    with pytest.raises(DatabaseError), transaction.atomic():
        StockMove.objects.filter(pk=move.pk).delete()
    assert StockMove.objects.get().qty == 10


def test_balance_check_constraints(txq, n95, receive):
    receive(txq, n95, "A", 10)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.update(on_hand=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.update(reserved=11)


def test_check_ledger_command_reports_drift(txq, n95, receive, capsys):
    receive(txq, n95, "A", 10)
    call_command("check_ledger")
    assert "ledger ok" in capsys.readouterr().out
    with connection.cursor() as cursor:  # simulate a corrupted cache
        cursor.execute("UPDATE inventory_stockbalance SET on_hand = 7")
    with pytest.raises(SystemExit) as exit_info:
        call_command("check_ledger")
    assert exit_info.value.code == 1
    assert "balance=7\tledger=10" in capsys.readouterr().out


def test_document_numbers_take_the_shanghai_date_not_utc(txq, n95, receive):
    # 17:30 UTC on 1 March is 01:30 on 2 March in Shanghai: the number carries the local day, like
    # request and shipment numbers do.
    import datetime as dt

    import time_machine

    with time_machine.travel(dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC), tick=False):
        receipt = receive(txq, n95, "LOCAL-1", 5, expiry=dt.date(2026, 9, 1))
    assert receipt.number == f"{receipt.prefix}-20260302-{receipt.pk:06d}"


def test_a_large_write_off_waits_for_another_person_even_when_its_maker_may_approve(txq, n95, receive, user, settings):
    from baogong.core.models import AuditEvent
    from baogong.orgs.actions import set_one_person_approval
    from baogong.orgs.errors import SamePerson

    settings.BAOGONG_ADJUSTMENT_APPROVAL_VALUE = "100"
    receive(txq, n95, "A", 100, cost="10.00")
    lot = Lot.objects.get(batch="A")
    store = queries.default_location(txq)
    commander = user("commander")
    big = actions.adjust_stock(txq, lot, store, -20, reason="报废", actor=commander)
    assert big.status == "pending" and on_hand(lot, store) == (100, 0)  # not self-approved any more
    with pytest.raises(SamePerson):
        actions.decide_adjustment(big, approve=True, actor=commander)
    assert on_hand(lot, store) == (100, 0)
    # a small site lets one person do both: posted at once, and the waiver is in the audit
    set_one_person_approval(txq.organisation, True, reason="夜班只有一人", actor=commander)
    waived = actions.adjust_stock(txq, lot, store, -20, reason="报废", actor=commander)
    assert waived.status == "posted" and on_hand(lot, store) == (80, 0)
    assert AuditEvent.objects.filter(verb="adjust_stock").latest("pk").after["one_person_waiver"] is True
    actions.decide_adjustment(big, approve=True, actor=commander)
    assert on_hand(lot, store) == (60, 0) and ledger_ok()


def test_a_write_off_above_the_approvers_limit_waits_for_a_higher_role(txq, n95, receive, user, settings):
    from django.contrib.auth.models import Group

    from baogong.orgs.choices import ApprovalKind, Role
    from baogong.orgs.errors import OverApprovalLimit
    from baogong.orgs.models import ApprovalLimit

    settings.BAOGONG_ADJUSTMENT_APPROVAL_VALUE = "100"
    receive(txq, n95, "A", 100, cost="10.00")
    lot = Lot.objects.get(batch="A")
    store = queries.default_location(txq)
    kind = ApprovalKind.STOCK_ADJUSTMENT
    ApprovalLimit.objects.create(kind=kind, group=Group.objects.get(name=Role.COMMAND_CENTRE), max_amount=150)
    big = actions.adjust_stock(txq, lot, store, -20, reason="报废", actor=user("warehouse"))  # ¥200
    with pytest.raises(OverApprovalLimit) as refused:
        actions.decide_adjustment(big, approve=True, actor=user("commander"))
    assert list(refused.value.details) == ["value"] and on_hand(lot, store) == (100, 0)
    ApprovalLimit.objects.filter(kind=kind).update(max_amount=500)
    assert actions.decide_adjustment(big, approve=True, actor=user("commander")).status == "posted"
    assert on_hand(lot, store) == (80, 0) and ledger_ok()
