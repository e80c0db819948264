"""Two allocation runs confirmed at the same time never reserve more than the stock (PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from baogong.core.tests.threads import run_together
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

    def confirm():
        actions.confirm_allocation(runs.pop(), actor=SYSTEM)

    assert run_together(confirm, confirm, refused=AllocationStale) == ["confirm", "confirm refused"]
    balance = StockBalance.objects.get(lot__batch="B1", location__site=txq)
    assert (balance.on_hand, balance.reserved) == (50, 50)
    assert ledger_differences() == []
