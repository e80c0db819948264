"""Invariant 3 on PostgreSQL: concurrent issues and reservations never oversell, and never deadlock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from baogong.catalog import actions as catalog_actions
from baogong.core.audit import SystemActor
from baogong.core.tests.threads import run_threads
from baogong.inventory import actions, queries
from baogong.inventory.actions import IssueLineInput, MoveInput, ReceiptLineInput
from baogong.inventory.errors import InsufficientStock
from baogong.inventory.models import IssueLine, Reservation, StockBalance
from baogong.orgs.models import Site

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SYSTEM = SystemActor("concurrency-test")
THREADS = 16


@pytest.fixture
def setup(base: None) -> dict[str, Any]:
    assert connection.vendor == "postgresql"
    warehouse = Site.objects.get(code="WH-TXQ")
    recipients = list(Site.objects.exclude(code="WH-TXQ").order_by("code")[:4])
    a = catalog_actions.create_item({"code": "A", "name": "A", "unit": "箱"}, actor=SYSTEM)
    b = catalog_actions.create_item({"code": "B", "name": "B", "unit": "箱"}, actor=SYSTEM)
    actions.receive_stock(
        warehouse,
        [
            ReceiptLineInput(item=a, batch="A1", qty=100, unit_cost=Decimal("1")),
            ReceiptLineInput(item=b, batch="B1", qty=100, unit_cost=Decimal("1")),
        ],
        actor=SYSTEM,
    )
    return {"warehouse": warehouse, "recipients": recipients, "a": a, "b": b}


def test_concurrent_issues_from_one_balance_issue_exactly_what_is_available(setup):
    warehouse, a = setup["warehouse"], setup["a"]
    issued = [0] * THREADS

    def body(i: int) -> None:
        recipient = setup["recipients"][i % 4]
        while True:
            try:
                actions.issue_stock(warehouse, recipient, [IssueLineInput(item=a, qty=3)], actor=SYSTEM)
            except InsufficientStock:
                return
            issued[i] += 3

    assert run_threads(THREADS, body) == []
    balance = StockBalance.objects.get(location=queries.default_location(warehouse), item=a)
    assert sum(issued) == 99 and balance.on_hand == 1 and balance.reserved == 0
    assert sum(IssueLine.objects.filter(item=a).values_list("qty", flat=True)) == 99
    assert queries.ledger_differences() == []


def test_concurrent_reservations_never_over_reserve(setup):
    warehouse, a = setup["warehouse"], setup["a"]

    def body(i: int) -> None:
        while True:
            try:
                actions.reserve_stock(warehouse, a, 7, actor=SYSTEM, reference=f"T{i}")
            except InsufficientStock:
                return

    assert run_threads(THREADS, body) == []
    balance = StockBalance.objects.get(location=queries.default_location(warehouse), item=a)
    assert balance.reserved == 98 and balance.on_hand == 100
    assert sum(Reservation.objects.values_list("qty", flat=True)) == 98
    assert queries.available([warehouse.pk], [a.pk]) == {(warehouse.pk, a.pk): 2}
    assert queries.ledger_differences() == []


def test_issues_and_reservations_racing_keep_reserved_within_on_hand(setup):
    warehouse, a = setup["warehouse"], setup["a"]

    def body(i: int) -> None:
        while True:
            try:
                if i % 2:
                    actions.reserve_stock(warehouse, a, 2, actor=SYSTEM, reference=f"T{i}")
                else:
                    actions.issue_stock(
                        warehouse, setup["recipients"][0], [IssueLineInput(item=a, qty=2)], actor=SYSTEM
                    )
            except InsufficientStock:
                return

    assert run_threads(THREADS, body) == []
    balance = StockBalance.objects.get(location=queries.default_location(warehouse), item=a)
    issued = sum(IssueLine.objects.filter(item=a).values_list("qty", flat=True))
    assert balance.on_hand == 100 - issued and balance.reserved == balance.on_hand
    assert queries.ledger_differences() == []


def test_documents_touching_the_same_balances_in_opposite_orders_do_not_deadlock(setup):
    warehouse, a, b = setup["warehouse"], setup["a"], setup["b"]
    bin_1 = queries.default_location(warehouse)
    bin_2 = actions.create_location(warehouse, code="BIN-2", name="BIN-2", actor=SYSTEM)
    lot_a, lot_b = a.lots.get(), b.lots.get()
    actions.move_stock(
        [
            MoveInput(item=a, lot=lot_a, from_location=bin_1, to_location=bin_2, qty=50),
            MoveInput(item=b, lot=lot_b, from_location=bin_1, to_location=bin_2, qty=50),
        ],
        actor=SYSTEM,
        reason="transfer",
    )

    def body(i: int) -> None:
        for round_ in range(6):
            forward = (i + round_) % 2 == 0
            src, dst = (bin_1, bin_2) if forward else (bin_2, bin_1)
            pair = [(a, lot_a), (b, lot_b)] if forward else [(b, lot_b), (a, lot_a)]
            try:
                if i % 3 == 0:
                    lines = [IssueLineInput(item=item, qty=1) for item, _lot in pair]
                    actions.issue_stock(warehouse, setup["recipients"][i % 4], lines, actor=SYSTEM)
                else:
                    actions.move_stock(
                        [
                            MoveInput(item=item, lot=lot, from_location=src, to_location=dst, qty=1)
                            for item, lot in pair
                        ],
                        actor=SYSTEM,
                        reason="transfer",
                    )
            except InsufficientStock:
                pass

    errors = run_threads(THREADS, body)
    assert errors == []
    for lot in (lot_a, lot_b):
        total = sum(StockBalance.objects.filter(lot=lot).values_list("on_hand", flat=True))
        assert total == 100
        assert not StockBalance.objects.filter(on_hand__lt=0).exists()
    assert queries.ledger_differences() == []
