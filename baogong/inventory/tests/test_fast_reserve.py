"""The one-statement reservation on PostgreSQL gives exactly what the portable path gives (issue 25).

Each scenario runs twice on the same stock, first through the portable path (the setting off),
rolled back, then through the stored function ``inventory_reserve``: the reservations returned and
written, balances, audit events (the event's object is the first reservation) and shortage answers
must be the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from baogong.core.models import AuditEvent
from baogong.inventory import ledger, queries
from baogong.inventory.errors import InsufficientStock
from baogong.inventory.ledger import ReserveNeed, fast
from baogong.inventory.models import Reservation, StockBalance
from baogong.inventory.tests.conftest import SYSTEM
from baogong.inventory.tests.test_fast_path import shelves  # noqa: F401 - the same stock

pytestmark = pytest.mark.postgres


def _row(r: Reservation) -> tuple[Any, ...]:
    return (r.item.code, r.lot.batch, r.location.code, r.qty, r.original_qty, r.reference, r.status, r.created_by_id)


def _state(since_event: int) -> dict[str, Any]:
    made = {r.pk: _row(r) for r in Reservation.objects.select_related("item", "lot", "location").order_by("pk")}
    events = [
        (e.verb, e.actor_label, e.object_type_id, made.get(int(e.object_id)), e.object_repr, e.after)
        + (e.organisation_id, e.site_id)
        for e in AuditEvent.objects.filter(pk__gt=since_event).order_by("pk")
    ]
    balances = sorted(
        (b.lot.batch, b.location.code, b.on_hand, b.reserved)
        for b in StockBalance.objects.select_related("lot", "location")
    )
    return {"reservations": sorted(made.values()), "events": events, "balances": balances}


def _answer(reservations: list[Reservation]) -> list[tuple[Any, ...]]:
    return [(*_row(r), (r.balance.lot_id, r.balance.location_id) == (r.lot_id, r.location_id)) for r in reservations]


def _both(run: Callable[[], Any]) -> tuple[Any, Any]:
    outcomes = []
    for on in (False, True):
        since_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with override_settings(BAOGONG_LEDGER_FAST_PATH=on), transaction.atomic():
            assert fast.enabled() is on
            try:
                answer: Any = run()
            except InsufficientStock as exc:
                answer = ("short", exc.lines)
            outcomes.append((answer, _state(since_event), queries.ledger_differences()))
            transaction.set_rollback(True)
    return outcomes[0], outcomes[1]


def test_fast_and_portable_reservations_write_the_same(shelves, txq):  # noqa: F811
    n95, water = shelves["n95"], shelves["water"]

    def run() -> list[Any]:
        with transaction.atomic():
            first = ledger.reserve(txq, n95, 12, actor=SYSTEM, reference="R-1")
            second = ledger.reserve(txq, water, 5, actor=SYSTEM, reference="x" * 140)
            many = ledger.reserve_many(
                txq,
                [
                    ReserveNeed(key="a", item=n95, qty=20, reference="REQ-A"),
                    ReserveNeed(key="b", item=water, qty=3, reference="REQ-B"),
                    ReserveNeed(key="c", item=n95, qty=6, reference="REQ-C"),
                ],
                actor=SYSTEM,
            )
            return [_answer(first), _answer(second), {k: _answer(v) for k, v in sorted(many.items())}]

    portable, quick = _both(run)
    assert portable == quick
    answer, state, differences = quick
    assert differences == []
    # earliest expiry first across bins (A-01 before B-01 at the same expiry), never quarantined or expired
    assert [(row[1], row[2], row[3]) for row in answer[0]] == [("EARLY", "A-01", 5), ("EARLY", "B-01", 7)]
    assert {row[1] for rows in answer[2].values() for row in rows} <= {"EARLY", "LATE", "NONE", "W1"}
    assert [e[0] for e in state["events"]] == ["reserve_stock"] * 3
    assert all(e[3] is not None for e in state["events"])  # each event names a reservation it made


def test_fast_and_portable_reservation_shortages_answer_the_same(shelves, txq):  # noqa: F811
    n95, water = shelves["n95"], shelves["water"]

    def run() -> Any:
        with transaction.atomic():
            return ledger.reserve_many(
                txq,
                [
                    ReserveNeed(key="a", item=water, qty=10, reference="A"),
                    ReserveNeed(key="b", item=n95, qty=53, reference="B"),
                ],
                actor=SYSTEM,
            )

    portable, quick = _both(run)
    assert portable == quick
    answer, state, _differences = quick
    assert answer == ("short", [{"line": 1, "item": n95.code, "lot": None, "requested": 53, "available": 52}])
    assert state["events"] == []
    assert all(b[3] == 0 for b in state["balances"])


@override_settings(BAOGONG_LEDGER_FAST_PATH=True)
def test_a_reservation_is_one_statement_and_a_read_on_postgresql(shelves, txq):  # noqa: F811
    n95 = shelves["n95"]
    with transaction.atomic():
        ledger.reserve(txq, n95, 1, actor=SYSTEM, reference="warm")  # the content type
        with CaptureQueriesContext(connection) as captured:
            made = ledger.reserve(txq, n95, 1, actor=SYSTEM, reference="ONE")
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 2 and "inventory_reserve" in statements[0]
    assert [(r.lot.batch, r.qty, r.reference) for r in made] == [("EARLY", 1, "ONE")]
