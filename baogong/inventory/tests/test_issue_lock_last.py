"""The issue function writes first and takes the balance lock last (issue 25, migration ``0011``).

Two sessions on PostgreSQL: the test's own connection (A) holds the hot balance's row lock while an
issue (B) runs in a thread. B has already written its moves and audit event when it waits for that
lock; the balances it decides on are the ones it reads under the lock: when A changed them
meanwhile, B's optimistic attempt is rolled back whole and the issue is planned again, locked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from baogong.core.models import AuditEvent
from baogong.inventory import actions, ledger, queries
from baogong.inventory.actions import IssueLineInput
from baogong.inventory.errors import InsufficientStock
from baogong.inventory.models import Issue, IssueLine, Location, Lot, StockBalance, StockMove
from baogong.inventory.tests.conftest import SYSTEM, in_days

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shelves(txq, n95, receive):
    """N95 in two lots: EARLY (10 units, expires first) and LATE (30)."""
    receive(txq, n95, "EARLY", 10, expiry=in_days(20))
    receive(txq, n95, "LATE", 30, expiry=in_days(200))
    early = StockBalance.objects.get(lot__batch="EARLY", location=queries.default_location(txq))
    return {"n95": n95, "early": early}


class Waiting:
    """Run ``call`` in a thread (its own connection); wait until its session waits for a lock."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.pid: int | None = None
        self.thread = threading.Thread(target=self._run, args=(call,))

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self.result = call()
        except BaseException as exc:  # noqa: BLE001 - asserted on by the test
            self.error = exc
        finally:
            connections.close_all()

    def start_and_wait_for_lock(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.pid is not None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [self.pid])
                    row = cursor.fetchone()
                if row and row[0] == "Lock":
                    return
            assert self.error is None, self.error
            time.sleep(0.02)
        raise AssertionError("the issue never waited for the balance lock")

    def relations_locked(self) -> dict[str, set[str]]:
        """The tables the waiting session holds locks on, with the modes granted."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE l.pid = %s AND l.granted AND l.locktype = 'relation'",
                [self.pid],
            )
            found: dict[str, set[str]] = {}
            for name, mode in cursor.fetchall():
                found.setdefault(name, set()).add(mode)
        return found

    def join(self) -> Any:
        self.thread.join(30)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error
        return self.result


def _issue_ids_given() -> int:
    """How many document ids the issue sequence has handed out (a rolled-back attempt used one)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM pg_sequences WHERE sequencename = 'inventory_issue_id_seq'")
        return cursor.fetchone()[0] or 0


def _lock_balance(balance: StockBalance) -> None:
    StockBalance.objects.select_for_update().get(pk=balance.pk)


def test_the_issue_writes_its_moves_and_event_before_it_waits_for_the_balance(shelves, txq, hospital):
    n95, early = shelves["n95"], shelves["early"]
    before = (StockMove.objects.count(), AuditEvent.objects.count())
    issue = Waiting(
        lambda: actions.issue_stock(txq, hospital, [IssueLineInput(item=n95, qty=4)], actor=SYSTEM, reference="B")
    )
    with transaction.atomic():
        _lock_balance(early)  # session A holds the hot balance
        issue.start_and_wait_for_lock()
        held = issue.relations_locked()
        # B wrote the document, its move and its audit event already, and waits for the balance last
        assert "RowExclusiveLock" in held.get("inventory_stockmove", set()), held
        assert "RowExclusiveLock" in held.get("core_auditevent", set()), held
        assert "RowExclusiveLock" in held.get("inventory_issueline", set()), held
    document = issue.join()
    assert [(line["lot"], line["qty"]) for line in document.posted_lines] == [("EARLY", 4)]
    early.refresh_from_db()
    assert early.on_hand == 6
    assert StockMove.objects.count() == before[0] + 1 and AuditEvent.objects.count() == before[1] + 1
    assert queries.ledger_differences() == []


def _take_early(txq: Any, n95: Any, qty: int, recipient: Any) -> None:
    """Session A, holding the lock: a real issue of ``qty`` of the EARLY lot."""
    ledger.issue(txq, recipient, [IssueLineInput(item=n95, qty=qty, lot=Lot.objects.get(batch="EARLY"))], actor=SYSTEM)


def test_stock_taken_between_plan_and_lock_rolls_the_attempt_back_and_plans_again(shelves, txq, hospital, elderly_home):
    n95, early = shelves["n95"], shelves["early"]
    ids = _issue_ids_given()
    issue = Waiting(
        lambda: actions.issue_stock(txq, hospital, [IssueLineInput(item=n95, qty=8)], actor=SYSTEM, reference="B")
    )
    with transaction.atomic():
        _lock_balance(early)
        issue.start_and_wait_for_lock()  # B planned 8 of EARLY (10 free) and wrote them
        _take_early(txq, n95, 5, elderly_home)  # A takes 5 of them and commits
    document = issue.join()
    # B's optimistic 8 of EARLY is gone without a trace; planned again under the lock: 5 + 3
    assert [(line["lot"], line["qty"]) for line in document.posted_lines] == [("EARLY", 5), ("LATE", 3)]
    mine = Issue.objects.filter(recipient=hospital)
    assert mine.count() == 1 and mine.get().pk == document.pk
    assert _issue_ids_given() == ids + 3  # B's first document, A's, B's again: the first was rolled back
    assert sorted(IssueLine.objects.filter(issue__recipient=hospital).values_list("lot__batch", "qty")) == [
        ("EARLY", 5),
        ("LATE", 3),
    ]
    moves = StockMove.objects.filter(to_location__site=hospital).order_by("pk")
    assert [(m.lot.batch, m.qty, m.reference) for m in moves] == [("EARLY", 5, "B"), ("LATE", 3, "B")]
    events = AuditEvent.objects.filter(verb="issue_stock", object_id=str(document.pk))
    assert [e.after["lines"] for e in events] == [
        [{"item": n95.code, "lot": "EARLY", "qty": 5}, {"item": n95.code, "lot": "LATE", "qty": 3}]
    ]
    assert AuditEvent.objects.filter(verb="issue_stock").count() == 2  # A's and B's
    assert dict(StockBalance.objects.filter(location__site=txq).values_list("lot__batch", "on_hand")) == {
        "EARLY": 0,
        "LATE": 27,
    }
    assert queries.ledger_differences() == []


def test_stock_freed_between_plan_and_lock_gives_the_plan_the_locked_numbers_give(shelves, txq, hospital, receive):
    """The plan took all of EARLY and some of LATE; EARLY gained stock before B locked it: FEFO on
    the locked numbers takes it all from EARLY, as the re-plan under the lock always did."""
    n95, early = shelves["n95"], shelves["early"]
    issue = Waiting(
        lambda: actions.issue_stock(txq, hospital, [IssueLineInput(item=n95, qty=12)], actor=SYSTEM, reference="B")
    )
    store = Location.objects.get(pk=early.location_id)
    ids = _issue_ids_given()
    with transaction.atomic():
        _lock_balance(early)
        issue.start_and_wait_for_lock()  # B planned 10 of EARLY and 2 of LATE
        with transaction.atomic():
            ledger.receive(
                txq,
                [
                    ledger.ReceiptLineInput(
                        item=n95,
                        batch="EARLY",
                        qty=5,
                        unit_cost=early.lot.unit_cost,
                        expiry=early.lot.expiry,
                        location=store,
                    )
                ],
                actor=SYSTEM,
                qc_status="released",
            )
    document = issue.join()
    assert [(line["lot"], line["qty"]) for line in document.posted_lines] == [("EARLY", 12)]
    assert StockMove.objects.filter(to_location__site=hospital).count() == 1
    assert Issue.objects.filter(recipient=hospital).count() == 1
    assert _issue_ids_given() == ids + 2  # the optimistic attempt's document was rolled back
    assert queries.ledger_differences() == []


def test_an_issue_that_finds_too_little_under_the_lock_writes_nothing(shelves, txq, hospital, elderly_home):
    n95, early = shelves["n95"], shelves["early"]
    lines = [IssueLineInput(item=n95, qty=8, lot=Lot.objects.get(batch="EARLY"))]
    before = (StockMove.objects.count(), AuditEvent.objects.count(), Issue.objects.count(), IssueLine.objects.count())
    ids = _issue_ids_given()
    issue = Waiting(lambda: actions.issue_stock(txq, hospital, lines, actor=SYSTEM))
    with transaction.atomic():
        _lock_balance(early)
        issue.start_and_wait_for_lock()
        _take_early(txq, n95, 5, elderly_home)
    with pytest.raises(InsufficientStock) as refused:
        issue.join()
    assert refused.value.lines == [{"line": 0, "item": n95.code, "lot": "EARLY", "requested": 8, "available": 5}]
    after = (StockMove.objects.count(), AuditEvent.objects.count(), Issue.objects.count(), IssueLine.objects.count())
    assert after == (before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 1)  # A's issue only
    assert _issue_ids_given() == ids + 2  # B's attempt wrote a document first, then rolled it back
    # nor the zero balance it made for the recipient (B's statement committed on its own, in autocommit)
    assert not StockBalance.objects.filter(location__site=hospital).exists()
    assert queries.ledger_differences() == []


@override_settings(BAOGONG_SHARED_CACHE="on")
def test_the_action_is_one_statement_in_autocommit_and_its_own_transaction(shelves, txq, hospital):
    n95 = shelves["n95"]
    lines = [IssueLineInput(item=n95, qty=1)]
    cache.clear()
    with CaptureQueriesContext(connection) as first:
        actions.issue_stock(txq, hospital, lines, actor=SYSTEM)  # makes the recipient location: a transaction
    assert "BEGIN" in [q["sql"] for q in first.captured_queries]
    with CaptureQueriesContext(connection) as second:
        actions.issue_stock(txq, hospital, lines, actor=SYSTEM)  # finds the location: kept in the cache
    assert "BEGIN" not in [q["sql"] for q in second.captured_queries]
    with CaptureQueriesContext(connection) as captured:
        document = actions.issue_stock(txq, hospital, lines, actor=SYSTEM, reference="ONE")
    statements = [q["sql"] for q in captured.captured_queries]
    assert len(statements) == 1 and statements[0].startswith("SELECT inventory_post_issue("), statements
    assert document.lines.get().qty == 1 and document.reference == "ONE"
    assert not connection.in_atomic_block and connection.get_autocommit()
    with pytest.raises(InsufficientStock), CaptureQueriesContext(connection) as refused:
        actions.issue_stock(txq, hospital, [IssueLineInput(item=n95, qty=1000)], actor=SYSTEM)
    assert len(refused.captured_queries) == 1
    assert Issue.objects.filter(recipient=hospital).count() == 3
    assert queries.ledger_differences() == []


def test_the_action_inside_a_transaction_is_still_refused_and_the_primitive_still_works(shelves, txq, hospital):
    n95 = shelves["n95"]
    lines = [IssueLineInput(item=n95, qty=2)]
    with transaction.atomic():
        with pytest.raises(RuntimeError):  # a durable action inside another transaction, as before
            actions.issue_stock(txq, hospital, lines, actor=SYSTEM)
    with transaction.atomic():
        document = ledger.issue(txq, hospital, lines, actor=SYSTEM)  # callers composing the primitive
        transaction.set_rollback(True)
    assert document.number.startswith("IS-")
    assert not Issue.objects.exists()
