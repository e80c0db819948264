"""The ledger's and the audit log's lookups can still use an index on PostgreSQL after issue 25 took
the redundant single-column indexes away (docs/inventory.md, "Indexes of the ledger"): each query
below is planned with sequential scans priced out and must find its rows by an index condition on
the column it filters (not by reading a whole index in the table's default order).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from baogong.core.audit import history_for
from baogong.core.models import AuditEvent
from baogong.inventory import queries
from baogong.inventory.models import Lot, StockBalance, StockMove
from baogong.inventory.tests.conftest import SYSTEM

pytestmark = pytest.mark.postgres


def index_conditions(qs: Any) -> list[str]:
    """The ``Index Cond`` lines of the query's plan."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # until the test's transaction is rolled back
    return [line.strip() for line in str(qs.explain()).splitlines() if "Index Cond:" in line]


def assert_found_by(qs: Any, column: str) -> None:
    conditions = index_conditions(qs)
    assert any(re.search(rf"\(\(?{column}\b", c) for c in conditions), (column, conditions, str(qs.query))


def test_moves_are_found_by_item_and_by_lot_through_an_index(txq, n95, receive):
    receive(txq, n95, "LOT-1", 10)
    lot = Lot.objects.get(batch="LOT-1")
    for qs, column in (
        (queries.moves_for(SYSTEM).filter(item=n95).order_by("-at", "-id"), "item_id"),  # item card
        (queries.moves_for(SYSTEM).filter(lot=lot).order_by("at", "id"), "lot_id"),  # lot card, traceability
        (StockMove.objects.filter(lot=lot, to_location__kind="recipient"), "lot_id"),  # a lot's destinations
        (StockMove.objects.filter(item__in=[n95]), "item_id"),  # deleting an item (PROTECT)
        (StockMove.objects.filter(lot__in=[lot]), "lot_id"),  # deleting a lot (PROTECT)
    ):
        assert_found_by(qs, column)


def test_balances_are_found_by_item_and_by_lot_through_an_index(txq, n95, receive):
    receive(txq, n95, "LOT-1", 10)
    lot = Lot.objects.get(batch="LOT-1")
    for qs, column in (
        (queries.balances_for(SYSTEM).filter(item=n95), "item_id"),
        (queries.balances_for(SYSTEM).filter(lot=lot), "lot_id"),
        (StockBalance.objects.filter(item__in=[n95]), "item_id"),  # deleting an item (PROTECT)
        (StockBalance.objects.filter(lot__in=[lot]), "lot_id"),  # deleting a lot (PROTECT)
    ):
        assert_found_by(qs, column)


def test_audit_events_are_found_by_object_and_verb_through_an_index(txq, n95, receive):
    receive(txq, n95, "LOT-1", 10)
    for qs, column in (
        (history_for(n95)[:50], "object_type_id"),  # the history panel of a record
        (AuditEvent.objects.filter(object_type__in=[ContentType.objects.get_for_model(n95)]), "object_type_id"),
        (AuditEvent.objects.filter(verb="receive_stock"), "verb"),  # the audit page's verb filter
    ):
        assert_found_by(qs, column)
