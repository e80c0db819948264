from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from baogong.catalog import actions as catalog_actions
from baogong.catalog.models import Category, Item
from baogong.core.audit import SystemActor
from baogong.inventory import actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs.models import Site

SYSTEM = SystemActor("test")


@pytest.fixture
def system() -> SystemActor:
    return SYSTEM


@pytest.fixture
def txq(base: None) -> Site:
    return Site.objects.get(code="WH-TXQ")


@pytest.fixture
def wh_yy(base: None) -> Site:
    return Site.objects.get(code="WH-YY")


@pytest.fixture
def hospital(base: None) -> Site:
    return Site.objects.get(code="FH-FCL")


@pytest.fixture
def n95(base: None) -> Item:
    return catalog_actions.create_item(
        {
            "code": "N95",
            "name": "医用防护口罩",
            "unit": "盒",
            "category": Category.objects.get(code="EPI-MASK"),
            "standard": "GB 19083-2010",
            "reference_price": Decimal("250"),
        },
        actor=SYSTEM,
    )


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
