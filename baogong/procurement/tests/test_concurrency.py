"""On PostgreSQL: receipts racing against one order line never receive more than was ordered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from baogong.core.tests.threads import run_threads
from baogong.inventory.models import Lot
from baogong.procurement import actions
from baogong.procurement.errors import ReceiptInvalid
from baogong.procurement.models import PurchaseReceipt

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 6


def test_concurrent_receipts_cannot_over_receive_a_line(user, place_order):
    assert connection.vendor == "postgresql"
    order = place_order()  # 100 antigen kits
    line = order.lines.get()
    officer = user("procurement")
    refused: list[BaseException] = []

    def receive(i: int) -> None:
        try:
            actions.receive_against_order(
                order,
                [
                    actions.ReceiveLineInput(
                        line=line, qty=30, batch=f"RACE-{i}", expiry=dt.date.today() + dt.timedelta(days=300)
                    )
                ],
                actor=officer,
            )
        except ReceiptInvalid as exc:
            refused.append(exc)

    assert run_threads(THREADS, receive) == []
    line.refresh_from_db()
    assert line.received_qty == 90
    assert len(refused) == THREADS - 3
    assert PurchaseReceipt.objects.filter(line=line).count() == 3
    assert Lot.objects.filter(batch__startswith="RACE-").count() == 3
