"""The one-statement issue on PostgreSQL gives exactly what the portable path gives (issue 25).

Each scenario runs twice on the same stock, first through the portable path (the setting off),
rolled back, then through the stored function: documents, lines, moves, balances, audit events and
shortage answers must be the same (document numbers aside, as the ids differ).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from baogong.core.models import AuditEvent
from baogong.inventory import ledger, queries
from baogong.inventory.actions import IssueLineInput
from baogong.inventory.errors import InsufficientStock
from baogong.inventory.ledger import fast
from baogong.inventory.models import Issue, Location, Lot, StockBalance, StockMove
from baogong.inventory.tests.conftest import SYSTEM, in_days

pytestmark = pytest.mark.postgres


@pytest.fixture
def shelves(txq, n95, water, receive):
    """N95 in five lots over two bins (one quarantined, one expired, one without expiry), water in two."""
    bin_b = Location.objects.create(site=txq, code="B-01", name="B-01", kind="bin")
    bin_a = Location.objects.create(site=txq, code="A-01", name="A-01", kind="bin")
    receive(txq, n95, "LATE", 30, expiry=in_days(200), cost="2.50")
    receive(txq, n95, "EARLY", 10, expiry=in_days(20), cost="3.10", location=bin_b)
    receive(txq, n95, "EARLY", 5, expiry=in_days(20), cost="3.10", location=bin_a)
    receive(txq, n95, "HELD", 100, expiry=in_days(5), qc="quarantined")
    receive(txq, n95, "NONE", 7)
    receive(txq, water, "W1", 40, expiry=in_days(90), cost="1.0000")
    receive(txq, water, "W2", 40, expiry=in_days(60), cost="1.2000")
    # an expired lot: released, with stock, past its date
    lot = Lot.objects.get(batch="W2")
    Lot.objects.filter(pk=lot.pk).update(expiry=in_days(-1))
    return {"n95": n95, "water": water}


def _state(since_move: int, since_event: int) -> dict[str, Any]:
    def number_free(text: str) -> str:
        return "DOC" if text.startswith("IS-") else text

    moves = [
        (
            m.item.code,
            m.lot.batch,
            m.from_location.code,
            m.to_location.code,
            m.qty,
            m.unit_cost,
            m.reason,
            m.document_type,
            number_free(m.reference),
            m.actor_label,
            m.note,
        )
        for m in StockMove.objects.filter(pk__gt=since_move)
        .order_by("pk")
        .select_related("item", "lot", "from_location", "to_location")
    ]
    issues = [
        (
            i.warehouse.code,
            i.recipient.code,
            i.reference,
            [(line.item.code, line.lot.batch, line.location.code, line.qty, line.unit_cost) for line in i.lines.all()],
        )
        for i in Issue.objects.order_by("pk").select_related("warehouse", "recipient")
    ]
    events = [
        (e.verb, e.actor_label, e.object_type_id, number_free(e.object_repr), e.after, e.organisation_id, e.site_id)
        for e in AuditEvent.objects.filter(pk__gt=since_event).order_by("pk")
    ]
    balances = sorted(
        (b.lot.batch, b.location.code, b.on_hand, b.reserved)
        for b in StockBalance.objects.select_related("lot", "location")
    )
    return {"moves": moves, "issues": issues, "events": events, "balances": balances}


def _both(run: Callable[[], Any]) -> tuple[Any, Any]:
    """``run`` on the portable path then on the stored function, each rolled back; their outcomes."""
    outcomes = []
    for on in (False, True):
        since_move = StockMove.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        since_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with override_settings(BAOGONG_LEDGER_FAST_PATH=on), transaction.atomic():
            assert fast.enabled() is on
            try:
                answer: Any = [
                    (doc.reference, doc.posted_lines)
                    for doc in run()  # type: ignore[attr-defined]
                ]
            except InsufficientStock as exc:
                answer = ("short", exc.lines)
            outcomes.append((answer, _state(since_move, since_event), queries.ledger_differences()))
            transaction.set_rollback(True)
    return outcomes[0], outcomes[1]


def test_fast_and_portable_issues_write_the_same(shelves, txq, hospital, elderly_home):
    n95, water = shelves["n95"], shelves["water"]
    late = Lot.objects.get(batch="LATE")

    def run() -> list[Issue]:
        with transaction.atomic():
            return [
                ledger.issue(txq, hospital, [IssueLineInput(item=n95, qty=12)], actor=SYSTEM, reference="R-1"),
                ledger.issue(
                    txq,
                    elderly_home,
                    [
                        IssueLineInput(item=water, qty=5),
                        IssueLineInput(item=n95, qty=20),
                        IssueLineInput(item=n95, qty=3, lot=late),
                        IssueLineInput(item=n95, qty=12),
                    ],
                    actor=SYSTEM,
                ),
                ledger.issue(txq, hospital, [IssueLineInput(item=water, qty=35)], actor=SYSTEM, reference="x" * 140),
            ]

    portable, quick = _both(run)
    assert portable == quick
    answer, state, differences = quick
    assert differences == [], answer
    assert answer[0][0] == "R-1", answer
    # FEFO across bins (A-01 before B-01 at the same expiry), no quarantined or expired lot
    assert [(line["lot"], line["location"], line["qty"]) for line in answer[0][1]] == [
        ("EARLY", "A-01", 5),
        ("EARLY", "B-01", 7),
    ]
    assert {m[1] for m in state["moves"]} == {"EARLY", "LATE", "NONE", "W1"}
    assert [e[0] for e in state["events"]].count("issue_stock") == 3


def test_fast_and_portable_shortages_answer_the_same_and_write_nothing(shelves, txq, hospital):
    n95, water = shelves["n95"], shelves["water"]

    def run() -> list[Issue]:
        with transaction.atomic():
            return [
                ledger.issue(
                    txq,
                    hospital,
                    [IssueLineInput(item=water, qty=10), IssueLineInput(item=n95, qty=53)],
                    actor=SYSTEM,
                )
            ]

    portable, quick = _both(run)
    assert portable == quick
    answer, state, _differences = quick
    assert answer == ("short", [{"line": 1, "item": n95.code, "lot": None, "requested": 53, "available": 52}])
    assert state["moves"] == [] and state["events"] == []


@override_settings(BAOGONG_SHARED_CACHE="on")
def test_an_issue_is_one_statement_on_postgresql(shelves, txq, hospital, django_capture_on_commit_callbacks):
    n95 = shelves["n95"]
    lines = [IssueLineInput(item=n95, qty=1)]
    cache.clear()
    # makes, then caches the recipient location (kept once the transaction commits); warms the content type
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            ledger.issue(txq, hospital, lines, actor=SYSTEM)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured:
            document = ledger.issue(txq, hospital, lines, actor=SYSTEM, reference="ONE")
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 1 and "inventory_post_issue" in statements[0]
    assert document.lines.get().qty == 1 and document.number.startswith("IS-")
    assert Decimal(document.posted_lines[0]["unit_cost"]) == Decimal("3.1000")  # type: ignore[attr-defined]
