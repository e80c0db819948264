"""PostgreSQL, threads: procurement's QC actions and receipts keep the one lock order (decision 0003)
— no deadlock, no half-written response, the ledger exact."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from baogong.core.audit import SystemActor
from baogong.core.errors import DomainError
from baogong.core.tests.threads import run_calls
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.inventory.models import Lot, StockBalance
from baogong.inventory.queries import ledger_differences
from baogong.orgs.models import Site
from baogong.procurement import actions
from baogong.procurement.models import CounterfeitCase

from .conftest import good_inspection, receive

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SYSTEM = SystemActor("race-test")


def test_receipts_of_one_new_batch_race_without_deadlock_and_add_up(base, items):
    assert connection.vendor == "postgresql"
    warehouse = Site.objects.get(code="WH-TXQ")
    rice = items["rice"]

    def body(n: int) -> Callable[[], object]:
        # every receipt names the same new batch, twice: the balance row is missing when they start
        lines = [ReceiptLineInput(item=rice, batch="R-RACE", qty=n + 1, unit_cost=Decimal("60"))] * 2
        return lambda: inventory_actions.receive_stock(warehouse, lines, actor=SYSTEM)

    errors = run_calls([body(n) for n in range(8)])
    assert errors == []
    assert StockBalance.objects.get(lot__batch="R-RACE").on_hand == 2 * sum(range(1, 9))
    assert ledger_differences() == []


def test_inspection_and_counterfeit_response_race_without_deadlock(base, user, place_order):
    assert connection.vendor == "postgresql"
    n = 0
    order = place_order()
    [first] = receive(user, order, f"AG-R{n}A")
    actions.inspect_lot(first.lot, good_inspection(first), decision="release", actor=user("qc"))
    second_order = place_order(supplier=order.supplier)
    [second] = receive(user, second_order, f"AG-R{n}B")
    qc = user("qc")
    errors = run_calls(
        [
            lambda first=first: actions.mark_lot_counterfeit(first.lot, reason="通报假冒", actor=qc),
            lambda second=second: actions.inspect_lot(
                second.lot, good_inspection(second), decision="release", actor=qc
            ),
        ]
    )
    # the inspection may lose (the lot is quarantined first): a domain refusal, never a deadlock
    assert all(isinstance(e, DomainError) for e in errors), errors
    case = CounterfeitCase.objects.get(lot=first.lot)
    lots = {lot.batch: lot for lot in Lot.objects.filter(pk__in=[first.lot_id, second.lot_id])}
    assert lots[f"AG-R{n}A"].qc_status == "quarantined" and lots[f"AG-R{n}A"].is_suspected_counterfeit
    assert second.lot_id in set(case.lots.values_list("pk", flat=True)) or (lots[f"AG-R{n}B"].qc_status == "released")
    assert not StockBalance.objects.filter(
        lot_id=first.lot_id, on_hand__gt=0, location__kind__in=["internal", "bin", "zone"]
    ).exists()
    assert ledger_differences() == []
