from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from baogong.catalog import actions as catalog_actions
from baogong.catalog.models import Item
from baogong.core.audit import SystemActor
from baogong.distribution import actions
from baogong.distribution.actions import LineInput
from baogong.fleet.tests.registered import registered_transport
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs.models import Grant, Site

SYSTEM = SystemActor("test")


def in_days(n: int) -> dt.date:
    return dt.date.today() + dt.timedelta(days=n)


@pytest.fixture
def rice(base: None) -> Item:
    return catalog_actions.create_item(
        {"code": "RICE", "name": "大米", "unit": "袋", "reference_price": Decimal("60")}, actor=SYSTEM
    )


@pytest.fixture
def recipient_user(base: None, elderly_home: Site) -> Any:
    """A user of the elderly home who may file its requests (granted that one site)."""
    made = get_user_model().objects.create_user(username="eh-clerk", password="x")
    Grant.objects.create(user=made, site=elderly_home)
    made.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="distribution", codename__in=["add_request", "view_request"])
    )
    return get_user_model().objects.get(pk=made.pk)


@pytest.fixture
def file() -> Any:
    def do(recipient: Site, *lines: tuple[Item, int, dt.date], actor: Any = SYSTEM, submit: bool = True, **kw: Any):
        return actions.file_request(
            recipient, [LineInput(item=i, qty=q, needed_by=d) for i, q, d in lines], actor=actor, submit=submit, **kw
        )

    return do


def receive_n95(n95: Item, qty: int) -> None:
    """``qty`` released N95 masks (batch B1) at the 泰兴桥 warehouse."""
    inventory_actions.receive_stock(
        Site.objects.get(code="WH-TXQ"),
        [ReceiptLineInput(item=n95, batch="B1", qty=qty, unit_cost=Decimal("250.00"), expiry=in_days(90))],
        actor=SYSTEM,
        qc_status="released",
    )


@pytest.fixture
def stocked(n95: Item) -> None:
    receive_n95(n95, 30)


@pytest.fixture
def in_transit(file: Any, hospital: Site, n95: Item, stocked: None) -> Any:
    """A shipment of 20 N95 masks to the hospital, dispatched (in transit)."""
    actions.approve_request(file(hospital, (n95, 20, in_days(1))), actor=SYSTEM)
    actions.confirm_allocation(
        actions.preview_allocation([Site.objects.get(code="WH-TXQ")], actor=SYSTEM), actor=SYSTEM
    )
    (shipment,) = actions.plan_shipments(actor=SYSTEM)
    actions.pick_shipment(shipment, actor=SYSTEM)
    actions.load_shipment(shipment, actor=SYSTEM, **registered_transport())
    return actions.dispatch_shipment(shipment, actor=SYSTEM)
