"""Two allocation runs confirmed at the same time never reserve more than the stock (PostgreSQL)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from baogong.distribution import actions
from baogong.distribution.errors import AllocationStale
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.inventory.models import StockBalance
from baogong.inventory.queries import ledger_differences
from baogong.orgs.models import Site

from .conftest import SYSTEM, in_days


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_confirms_reserve_the_stock_once(base, file, hospital, n95):
    txq = Site.objects.get(code="WH-TXQ")
    inventory_actions.receive_stock(
        txq,
        [ReceiptLineInput(item=n95, batch="B1", qty=50, unit_cost=Decimal("1"), expiry=in_days(90))],
        actor=SYSTEM,
        qc_status="released",
    )
    actions.approve_request(file(hospital, (n95, 50, in_days(1))), actor=SYSTEM)
    runs = [actions.preview_allocation([txq], actor=SYSTEM) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(run):
        try:
            barrier.wait()
            actions.confirm_allocation(run, actor=SYSTEM)
            outcomes.append("confirmed")
        except AllocationStale:
            outcomes.append("stale")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(run,)) for run in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["confirmed", "stale"]
    balance = StockBalance.objects.get(lot__batch="B1", location__site=txq)
    assert (balance.on_hand, balance.reserved) == (50, 50)
    assert ledger_differences() == []
