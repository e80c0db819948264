from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from baogong.catalog import actions as catalog_actions
from baogong.catalog.models import Item
from baogong.core.audit import SystemActor
from baogong.inventory import actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs.models import Site

SYSTEM = SystemActor("test")


@pytest.fixture
def water(base: None) -> Item:
    return catalog_actions.create_item(
        {"code": "WATER", "name": "饮用水", "unit": "箱", "pack_qty": 24, "pack_unit": "瓶", "pack_size": "550 ml"},
        actor=SYSTEM,
    )


def in_days(n: int) -> dt.date:
    return dt.date.today() + dt.timedelta(days=n)


@pytest.fixture
def receive() -> Any:
    def do(
        site: Site,
        item: Item,
        batch: str,
        qty: int,
        *,
        expiry: dt.date | None = None,
        cost: str = "2.00",
        qc: str = "released",
        location: Any = None,
    ) -> Any:
        return actions.receive_stock(
            site,
            [
                ReceiptLineInput(
                    item=item, batch=batch, qty=qty, unit_cost=Decimal(cost), expiry=expiry, location=location
                )
            ],
            actor=SYSTEM,
            qc_status=qc,
        )

    return do
