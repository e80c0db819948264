"""On PostgreSQL: receipts racing against one order line never receive more than was ordered."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

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
    barrier = threading.Barrier(THREADS)
    refused: list[BaseException] = []
    unexpected: list[BaseException] = []

    def receive(i: int) -> None:
        try:
            barrier.wait()
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
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on
            unexpected.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=receive, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert unexpected == []
    line.refresh_from_db()
    assert line.received_qty == 90
    assert len(refused) == THREADS - 3
    assert PurchaseReceipt.objects.filter(line=line).count() == 3
    assert Lot.objects.filter(batch__startswith="RACE-").count() == 3
