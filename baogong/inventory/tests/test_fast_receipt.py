"""The one-statement receipt on PostgreSQL gives exactly what the portable path gives (issue 25).

Each scenario runs twice on the same stock, first through the portable path (the setting off),
rolled back, then through the stored function ``inventory_receive``: receipts, lines, lots, moves,
balances, audit events, notifications and refusals must be the same (document numbers aside).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from baogong.core.models import AuditEvent, Notification
from baogong.inventory import ledger, queries
from baogong.inventory.errors import StockInvalid
from baogong.inventory.ledger import ReceiptLineInput, fast
from baogong.inventory.models import Location, Lot, Receipt, StockBalance, StockMove
from baogong.inventory.tests.conftest import SYSTEM, in_days
from baogong.inventory.tests.test_fast_path import shelves  # noqa: F401 - the same stock

pytestmark = pytest.mark.postgres


def _free(text: str) -> str:
    return "DOC" if text.startswith("RC-") else text


def _state(since_move: int, since_event: int, since_lot: int) -> dict[str, Any]:
    moves = [
        (m.item.code, m.lot.batch, m.from_location.code, m.to_location.code, m.qty, m.unit_cost)
        + (m.reason, m.document_type, _free(m.reference), m.actor_label, m.note)
        for m in StockMove.objects.filter(pk__gt=since_move)
        .order_by("pk")
        .select_related("item", "lot", "from_location", "to_location")
    ]
    receipts = [
        (r.warehouse.code, r.reference, r.supplier_ref, r.qc_status, r.created_by_id)
        + ([(x.item.code, x.lot.batch, x.location.code, x.qty, x.unit_cost) for x in r.lines.order_by("pk")],)
        for r in Receipt.objects.order_by("pk").select_related("warehouse")
    ]
    lots = [
        (lot.item_id, lot.batch, lot.production_date, lot.expiry, lot.unit_cost, lot.qc_status, lot.qc_reason)
        + (lot.supplier_name, lot.supplier_ref, lot.is_suspected_counterfeit)
        for lot in Lot.objects.filter(pk__gt=since_lot).order_by("item_id", "batch")
    ]
    events = [
        (e.verb, e.actor_label, e.object_type_id, _free(e.object_repr), e.after, e.organisation_id, e.site_id)
        for e in AuditEvent.objects.filter(pk__gt=since_event).order_by("pk")
    ]
    balances = sorted(
        (b.lot.batch, b.location.code, b.on_hand, b.reserved)
        for b in StockBalance.objects.select_related("lot", "location")
    )
    notes = sorted(_free(n.title.split(" ")[1]) + n.body for n in Notification.objects.all())
    return {"moves": moves, "receipts": receipts, "lots": lots, "events": events, "balances": balances, "notes": notes}


def _last(model: Any) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _both(run: Callable[[], Any]) -> tuple[Any, Any]:
    outcomes = []
    for on in (False, True):
        since = (_last(StockMove), _last(AuditEvent), _last(Lot))
        with override_settings(BAOGONG_LEDGER_FAST_PATH=on), transaction.atomic():
            assert fast.enabled() is on
            try:
                answer: Any = [(_free(r.number), r.reference, r.qc_status) for r in run()]
            except StockInvalid as exc:
                answer = ("refused", exc.details)
            outcomes.append((answer, _state(*since), queries.ledger_differences()))
            transaction.set_rollback(True)
    return outcomes[0], outcomes[1]


def test_fast_and_portable_receipts_write_the_same(shelves, txq):  # noqa: F811
    n95, water = shelves["n95"], shelves["water"]
    bin_a = Location.objects.get(site=txq, code="A-01")

    def run() -> list[Receipt]:
        with transaction.atomic():
            return [
                ledger.receive(
                    txq,
                    [
                        ReceiptLineInput(item=n95, batch="NEW", qty=4, unit_cost=Decimal("2.5"), expiry=in_days(300)),
                        ReceiptLineInput(
                            item=n95, batch="NEW", qty=6, unit_cost=Decimal("2.5"), expiry=in_days(300), location=bin_a
                        ),
                        ReceiptLineInput(item=n95, batch="LATE", qty=3, unit_cost=Decimal("2.50"), expiry=in_days(200)),
                        ReceiptLineInput(item=water, batch="", qty=9, unit_cost=Decimal("1.1234")),
                    ],
                    actor=SYSTEM,
                    reference="PO-7",
                    supplier_ref="S-1",
                    supplier_name="供应商",
                ),
                ledger.receive(
                    txq,
                    [
                        ReceiptLineInput(
                            item=water, batch="W9", qty=2, unit_cost=Decimal("0"), production_date=in_days(-3)
                        )
                    ],
                    actor=SYSTEM,
                    reference="y" * 140,
                    qc_status="pending",
                ),
            ]

    portable, quick = _both(run)
    assert portable == quick
    answer, state, differences = quick
    assert differences == []
    assert [row[1:] for row in answer] == [("PO-7", "released"), ("y" * 128, "pending")]
    assert len(state["moves"]) == 5 and [e[0] for e in state["events"]] == ["receive_stock"] * 2
    assert {lot[1] for lot in state["lots"]} >= {"NEW", "W9"}


def test_a_known_batch_with_another_expiry_is_refused_alike(shelves, txq):  # noqa: F811
    n95 = shelves["n95"]

    def run() -> list[Receipt]:
        with transaction.atomic():
            return [
                ledger.receive(
                    txq,
                    [
                        ReceiptLineInput(item=n95, batch="FRESH", qty=1, unit_cost=Decimal("1")),
                        ReceiptLineInput(item=n95, batch="LATE", qty=1, unit_cost=Decimal("1"), expiry=in_days(9)),
                    ],
                    actor=SYSTEM,
                )
            ]

    portable, quick = _both(run)
    assert portable == quick
    answer, state, _differences = quick
    assert answer[0] == "refused" and "1" in str(answer[1])
    assert state["moves"] == [] and state["events"] == []


@override_settings(BAOGONG_LEDGER_FAST_PATH=True)
def test_a_receipt_writes_in_one_statement_on_postgresql(shelves, txq):  # noqa: F811
    water = shelves["water"]
    lines = [ReceiptLineInput(item=water, batch=f"B{i}", qty=1, unit_cost=Decimal("1")) for i in range(50)]
    with transaction.atomic():
        ledger.receive(txq, lines[:1], actor=SYSTEM)  # content type, locations
        with CaptureQueriesContext(connection) as captured:
            receipt = ledger.receive(txq, lines, actor=SYSTEM, qc_status="released")
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    # the reads before it (default and supplier locations, the QC gate's rules) lock nothing
    writes = [s for s in statements if not s.startswith('SELECT "') or "FOR UPDATE" in s]
    assert len(writes) == 1 and "inventory_receive" in writes[0], statements
    assert receipt.lines.count() == 50 and receipt.number.startswith("RC-")
