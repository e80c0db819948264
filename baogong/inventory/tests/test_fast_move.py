"""The one-statement transfer on PostgreSQL gives exactly what the portable path gives (issue 25).

Each scenario runs twice on the same stock, first through the portable path (the setting off),
rolled back, then through the stored function ``inventory_move``: the moves returned and written,
balances, audit events and refusals (short stock, an unreleased or expired lot) must be the same.
The refusals of the actions around ``move`` (a location of another site, outside the warehouse)
come before the ledger and are checked on both paths too; a racing test moves stock both ways
between two bins while issues take from the same balances. A lot or location that is gone (a
stale object) is refused by the function with the resolvers' line error; the portable path has no
such check and fails with a ``KeyError`` there, so that case runs on the function only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext

from baogong.core.errors import DomainError
from baogong.core.models import AuditEvent
from baogong.core.tests.threads import run_threads
from baogong.inventory import actions, ledger, queries
from baogong.inventory.actions import IssueLineInput, MoveInput
from baogong.inventory.actions.transfers import TransferLineInput
from baogong.inventory.choices import LocationKind
from baogong.inventory.errors import InsufficientStock, LotNotReleased, StockInvalid
from baogong.inventory.ledger import fast
from baogong.inventory.locations import quarantine_location, virtual_location
from baogong.inventory.models import IssueLine, Location, Lot, StockBalance, StockMove, Transfer
from baogong.inventory.tests.conftest import SYSTEM
from baogong.inventory.tests.test_fast_path import shelves  # noqa: F401 - the same stock

pytestmark = pytest.mark.postgres


def _row(m: StockMove) -> tuple[Any, ...]:
    return (
        m.item_id,
        m.lot.batch,
        m.from_location.code,
        m.to_location.code,
        m.qty,
        Decimal(m.unit_cost),
        str(m.reason),
        m.document_type,
        m.document_id,
        m.reference,
        m.note,
        m.actor_id,
        m.actor_label,
    )


def _state(since_move: int, since_event: int) -> dict[str, Any]:
    written = StockMove.objects.filter(pk__gt=since_move).order_by("pk")
    moves = {m.pk: _row(m) for m in written.select_related("lot", "from_location", "to_location")}
    events = [
        (e.verb, e.actor_label, e.object_type_id, moves.get(int(e.object_id)), e.object_repr, e.after)
        + (e.organisation_id, e.site_id, e.request_id)
        for e in AuditEvent.objects.filter(pk__gt=since_event).order_by("pk")
    ]
    balances = sorted(
        (b.lot.batch, b.location.code, b.on_hand, b.reserved)
        for b in StockBalance.objects.select_related("lot", "location")
    )
    return {"moves": list(moves.values()), "events": events, "balances": balances}


def _both(run: Callable[[], Any]) -> tuple[Any, Any]:
    """``run`` on the portable path then on the stored function, each rolled back; their outcomes."""
    outcomes = []
    for on in (False, True):
        since_move = StockMove.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        since_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with override_settings(BAOGONG_LEDGER_FAST_PATH=on), transaction.atomic():
            assert fast.enabled() is on
            try:
                with transaction.atomic():
                    answer: Any = [[_row(m) for m in moves] for moves in run()]
            except InsufficientStock as exc:
                answer = ("short", exc.lines)
            except (LotNotReleased, StockInvalid) as exc:
                answer = (exc.code, str(exc.message), exc.details)
            outcomes.append((answer, _state(since_move, since_event), queries.ledger_differences()))
            transaction.set_rollback(True)
    return outcomes[0], outcomes[1]


@pytest.fixture
def places(shelves, txq):  # noqa: F811
    store = queries.default_location(txq)
    return {
        "store": store,
        "a": Location.objects.get(site=txq, code="A-01"),
        "b": Location.objects.get(site=txq, code="B-01"),
        "quarantine": quarantine_location(txq),
        "loss": virtual_location(LocationKind.LOSS),
        "adjustment": virtual_location(LocationKind.ADJUSTMENT),
        "lots": {lot.batch: lot for lot in Lot.objects.select_related("item")},
    }


def _line(lot: Lot, source: Location, target: Location, qty: int) -> MoveInput:
    return MoveInput(item=lot.item, lot=lot, from_location=source, to_location=target, qty=qty)


def _held_at(lot: Lot) -> Location:
    return StockBalance.objects.select_related("location").get(lot=lot, on_hand__gt=0).location


def test_fast_and_portable_moves_write_the_same(places):
    store, a, b, lots = places["store"], places["a"], places["b"], places["lots"]
    early, late, none, held, w1, w2 = (lots[k] for k in ("EARLY", "LATE", "NONE", "HELD", "W1", "W2"))

    def run() -> list[list[StockMove]]:
        return [
            # a new destination balance (LATE at A-01), document fields, a note
            ledger.move(
                [_line(early, a, b, 3), _line(late, store, a, 10)],
                actor=SYSTEM,
                reason="transfer",
                reference="T-1",
                document_type="transfer",
                document_id=7,
                note="n" * 300,
            ),
            # the same balances as source and destination in one call; a long reference
            ledger.move(
                [_line(late, a, store, 4), _line(late, store, a, 2), _line(late, a, b, 1)],
                actor=SYSTEM,
                reason="transfer",
                reference="x" * 140,
            ),
            # unusable lots where they may go: quarantine; a correction that books a held lot in
            ledger.move([_line(w2, store, places["quarantine"], 5)], actor=SYSTEM, reason="quarantine"),
            ledger.move([_line(held, _held_at(held), b, 6)], actor=SYSTEM, reason="stocktake", check_usable=False),
            # the unbounded source and a virtual destination keep no balance
            ledger.move([_line(none, places["adjustment"], store, 2)], actor=SYSTEM, reason="adjustment"),
            ledger.move([_line(w1, store, places["loss"], 1)], actor=SYSTEM, reason="loss", reference="L"),
        ]

    portable, quick = _both(run)
    assert portable == quick
    answer, state, differences = quick
    assert differences == []
    assert [len(moves) for moves in answer] == [2, 3, 1, 1, 1, 1]
    assert [e[0] for e in state["events"]] == ["move_stock"] * 6
    assert all(e[3] is not None for e in state["events"])  # each event names the first move it made
    assert state["events"][0][5]["moves"][0] == {"lot": "EARLY", "from": "WH-TXQ/A-01", "to": "WH-TXQ/B-01", "qty": 3}
    assert ("LATE", "A-01", 10 - 4 + 2 - 1, 0) in state["balances"]


@pytest.mark.parametrize(
    "case",
    ["short", "missing balance", "unreleased", "expired", "unreleased after usable lines"],
)
def test_fast_and_portable_refusals_answer_the_same(places, case):
    store, a, b, lots = places["store"], places["a"], places["b"], places["lots"]
    early, late, held, w2 = lots["EARLY"], lots["LATE"], lots["HELD"], lots["W2"]
    lines = {
        "short": [_line(late, store, b, 1), _line(early, a, b, 4), _line(early, a, store, 2)],
        "missing balance": [_line(late, b, a, 1), _line(early, b, a, 10)],
        "unreleased": [_line(held, _held_at(held), a, 1)],
        "expired": [_line(w2, store, a, 1)],
        "unreleased after usable lines": [_line(late, store, a, 1), _line(held, _held_at(held), b, 1)],
    }[case]

    portable, quick = _both(lambda: [ledger.move(lines, actor=SYSTEM, reason="transfer", reference="R")])
    assert portable == quick
    answer, state, differences = quick
    assert differences == [] and state["moves"] == [] and state["events"] == []
    if case == "short":
        assert answer == ("short", [{"lot": early.pk, "location": a.pk, "requested": 6, "available": 5}])
    elif case == "missing balance":
        assert answer[0] == "short" and answer[1][0] == {
            "lot": late.pk,
            "location": b.pk,
            "requested": 1,
            "available": 0,
        }
    else:
        assert answer[0] == "lot_not_released"


def test_a_location_or_lot_that_is_gone_is_refused_on_the_fast_path(places):
    store, lots = places["store"], places["lots"]
    gone = Location(pk=Location.objects.order_by("-pk").first().pk + 1000, site=store.site, code="GONE", kind="bin")
    with override_settings(BAOGONG_LEDGER_FAST_PATH=True), transaction.atomic():
        with pytest.raises(StockInvalid) as refused:
            ledger.move([_line(lots["LATE"], store, gone, 1)], actor=SYSTEM, reason="transfer")
        assert refused.value.details == {"lines": {"0": {"to_location": [gettext(fast.UNKNOWN["to_location"])]}}}
        assert not StockMove.objects.filter(to_location_id=gone.pk).exists()
        transaction.set_rollback(True)


def test_fast_and_portable_transfers_refuse_the_same_cross_site_lines(places, txq, wh_yy):
    store, a, lots = places["store"], places["a"], places["lots"]
    elsewhere = queries.default_location(wh_yy)
    late = lots["LATE"]
    cases = [
        dict(warehouse=txq, lines=[TransferLineInput(lot=late, from_location=store, to_location=elsewhere, qty=1)]),
        dict(warehouse=txq, lines=[TransferLineInput(lot=late, from_location=elsewhere, to_location=a, qty=1)]),
        dict(warehouse=txq, lines=[TransferLineInput(lot=late, from_location=store, qty=1)]),  # no destination
        dict(
            warehouse=txq, lines=[TransferLineInput(lot=late, from_location=places["quarantine"], to_location=a, qty=1)]
        ),
    ]
    for case in cases:
        answers = []
        for on in (False, True):
            with override_settings(BAOGONG_LEDGER_FAST_PATH=on), pytest.raises(StockInvalid) as refused:
                actions.transfer_stock(case["warehouse"], case["lines"], actor=SYSTEM)
            answers.append(refused.value.details)
        assert answers[0] == answers[1] and answers[0]
    assert not StockMove.objects.filter(reason="transfer").exists()


def _documents(since_move: int, since_event: int, since_transfer: int, before: dict[Any, Any]) -> dict[str, Any]:
    """What the transfer actions wrote after the marks, document numbers and ids left out, and the
    balances' changes against ``before``."""

    def plain(value: Any) -> Any:
        return json.loads(re.sub(r"TR-\d{8}-\d+", "TR", json.dumps(value, sort_keys=True, default=str)))

    transfers = [
        (t.warehouse.code, t.destination.code, t.status, plain(t.reference))
        + (sorted((li.lot.batch, li.from_location.code, li.to_location.code, li.qty) for li in t.lines.all()),)
        for t in Transfer.objects.filter(pk__gt=since_transfer)
        .order_by("pk")
        .select_related("warehouse", "destination")
    ]
    state = _state(since_move, since_event)
    moves = [plain(row[:8] + row[9:]) for row in state["moves"]]  # without the document id
    events = [plain((e[0], e[1], e[2], e[4], e[5], e[6], e[7])) for e in state["events"]]
    changes = {key: now - before.get(key, 0) for key, now in _on_hand().items() if now != before.get(key, 0)}
    return {"transfers": transfers, "moves": moves, "events": events, "changes": changes}


def _on_hand() -> dict[tuple[str, str, str], int]:
    rows = StockBalance.objects.select_related("lot", "location")
    return {(b.lot.batch, b.location.site.code if b.location.site else "", b.location.code): b.on_hand for b in rows}


def test_fast_and_portable_transfer_actions_write_the_same_documents(places, txq, wh_yy):
    """The durable actions around ``move`` (internal and inter-site transfers, booking in, put-away)
    commit, so each path runs on the stock the other left; what each wrote must be the same."""
    store, a, b, lots = places["store"], places["a"], places["b"], places["lots"]
    late, early = lots["LATE"], lots["EARLY"]
    outcomes = []
    for on in (False, True):
        marks = [
            model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            for model in (StockMove, AuditEvent, Transfer)
        ]
        before = _on_hand()
        with override_settings(BAOGONG_LEDGER_FAST_PATH=on):
            internal = [
                TransferLineInput(lot=late, from_location=store, to_location=a, qty=3),
                TransferLineInput(lot=early, from_location=b, to_location=a, qty=2),
            ]
            actions.transfer_stock(txq, internal, actor=SYSTEM)
            sent = actions.transfer_stock(
                txq, [TransferLineInput(lot=late, from_location=store, qty=4)], actor=SYSTEM, destination=wh_yy
            )
            actions.receive_transfer(sent, actor=SYSTEM)
            actions.put_away(StockBalance.objects.get(lot=late, location=store).pk, b, 1, actor=SYSTEM)
        outcomes.append(_documents(*marks, before))
    assert outcomes[0] == outcomes[1]
    assert [e[0] for e in outcomes[1]["events"]].count("move_stock") == 4
    assert outcomes[1]["changes"][("LATE", "WH-YY", queries.default_location(wh_yy).code)] == 4
    assert queries.ledger_differences() == []


@override_settings(BAOGONG_LEDGER_FAST_PATH=True)
def test_a_move_is_one_statement_on_postgresql(places):
    late, store, a = places["lots"]["LATE"], places["store"], places["a"]
    with transaction.atomic():
        ledger.move([_line(late, store, a, 1)], actor=SYSTEM, reason="transfer")  # the content type
        with CaptureQueriesContext(connection) as captured:
            moves = ledger.move([_line(late, store, a, 2)], actor=SYSTEM, reason="transfer", reference="ONE")
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 1 and "inventory_move" in statements[0]
    assert [(m.qty, m.unit_cost, m.reference) for m in moves] == [(2, Decimal("2.5000"), "ONE")]
    assert StockMove.objects.get(pk=moves[0].pk).to_location_id == a.pk


@pytest.mark.django_db(transaction=True)
@override_settings(BAOGONG_LEDGER_FAST_PATH=True)
def test_transfers_both_ways_and_issues_racing_keep_the_balances_exact(txq, hospital, n95, water, receive):
    bin_1 = actions.create_location(txq, code="BIN-1", name="BIN-1", actor=SYSTEM)
    bin_2 = actions.create_location(txq, code="BIN-2", name="BIN-2", actor=SYSTEM)
    receive(txq, n95, "N1", 60, location=bin_1)
    receive(txq, water, "W1", 60, location=bin_2)
    lots = [(n95, Lot.objects.get(batch="N1")), (water, Lot.objects.get(batch="W1"))]
    actions.move_stock(
        [MoveInput(item=item, lot=lot, from_location=bin_1, to_location=bin_2, qty=30) for item, lot in lots[:1]]
        + [MoveInput(item=item, lot=lot, from_location=bin_2, to_location=bin_1, qty=30) for item, lot in lots[1:]],
        actor=SYSTEM,
        reason="transfer",
    )
    refused: list[str] = []

    def body(i: int) -> None:
        for round_ in range(5):
            forward = (i + round_) % 2 == 0
            src, dst = (bin_1, bin_2) if forward else (bin_2, bin_1)
            pair = lots if forward else lots[::-1]
            try:
                if i % 4 == 0:
                    lines = [IssueLineInput(item=item, qty=1) for item, _lot in pair]
                    actions.issue_stock(txq, hospital, lines, actor=SYSTEM)
                else:
                    moving = [
                        MoveInput(item=item, lot=lot, from_location=src, to_location=dst, qty=2) for item, lot in pair
                    ]
                    actions.move_stock(moving, actor=SYSTEM, reason="transfer")
            except DomainError as exc:  # short stock is a refusal; a surfaced deadlock or a 500 is not
                if not isinstance(exc, InsufficientStock):
                    raise
                refused.append(exc.code)

    assert run_threads(8, body) == []
    issued = {lot.pk: sum(IssueLine.objects.filter(lot=lot).values_list("qty", flat=True)) for _item, lot in lots}
    for _item, lot in lots:
        balances = StockBalance.objects.filter(lot=lot, location__in=[bin_1, bin_2])
        assert sum(b.on_hand for b in balances) == 60 - issued[lot.pk]
        assert all(b.on_hand >= 0 and b.reserved == 0 for b in balances)
    assert StockMove.objects.filter(reason="transfer").count() > 2
    assert queries.ledger_differences() == []
