"""``inventory.lots``: lot flags set inside the caller's transaction, audited, idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from baogong.catalog.models import Item
from baogong.core.audit import SystemActor
from baogong.core.models import AuditEvent
from baogong.inventory import lots
from baogong.inventory.actions import ReceiptLineInput, receive_stock
from baogong.inventory.ledger import OutsideTransaction
from baogong.inventory.models import Lot
from baogong.orgs.models import Site

SYSTEM = SystemActor("test")


@pytest.fixture
def lot(n95: Item, txq: Site) -> Lot:
    receive_stock(
        txq,
        [
            ReceiptLineInput(
                item=n95,
                batch="CF-1",
                qty=5,
                unit_cost=Decimal("1.00"),
                expiry=timezone.localdate() + dt.timedelta(days=300),
            )
        ],
        actor=SYSTEM,
    )
    return Lot.objects.get(batch="CF-1")


def test_marking_outside_a_transaction_is_refused():
    # given no transaction is open (no database access at all: the check comes first)
    assert not transaction.get_connection().in_atomic_block
    with pytest.raises(OutsideTransaction):
        lots.mark_suspected_counterfeit([], reason="x", actor=SYSTEM)


def test_marking_flags_once_and_audits_once(lot):
    with transaction.atomic():
        first = lots.mark_suspected_counterfeit([lot], reason="通报", actor=SYSTEM)
    with transaction.atomic():
        again = lots.mark_suspected_counterfeit([lot], reason="通报", actor=SYSTEM)
    lot.refresh_from_db()
    assert (lot.is_suspected_counterfeit, [x.pk for x in first], again) == (True, [lot.pk], [])
    assert AuditEvent.objects.filter(verb="mark_lot_suspected_counterfeit", object_id=str(lot.pk)).count() == 1
