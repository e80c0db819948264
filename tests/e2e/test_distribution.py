"""A receiver confirms a delivery on a phone (390 px), without an account; the retry-safe form
records it once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from baogong.catalog import actions as catalog_actions
from baogong.core.audit import SystemActor
from baogong.core.models import AuditEvent
from baogong.distribution import actions
from baogong.distribution.actions import LineInput
from baogong.fleet.tests.registered import registered_transport
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs.models import Site

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SYSTEM = SystemActor("e2e")


@pytest.mark.django_db(transaction=True)
def test_receiver_confirms_delivery_on_a_phone(base, live_server, new_page):
    item = catalog_actions.create_item({"code": "N95", "name": "医用防护口罩", "unit": "盒"}, actor=SYSTEM)
    txq = Site.objects.get(code="WH-TXQ")
    inventory_actions.receive_stock(
        txq,
        [
            ReceiptLineInput(
                item=item, batch="B1", qty=30, unit_cost=Decimal("250"), expiry=dt.date.today() + dt.timedelta(days=90)
            )
        ],
        actor=SYSTEM,
        qc_status="released",
    )
    request = actions.file_request(
        Site.objects.get(code="FH-FCL"),
        [LineInput(item=item, qty=30, needed_by=dt.date.today() + dt.timedelta(days=1))],
        actor=SYSTEM,
        submit=True,
    )
    actions.approve_request(request, actor=SYSTEM)
    actions.confirm_allocation(actions.preview_allocation([txq], actor=SYSTEM), actor=SYSTEM)
    (shipment,) = actions.plan_shipments(actor=SYSTEM)
    actions.pick_shipment(shipment, actor=SYSTEM)
    actions.load_shipment(shipment, actor=SYSTEM, **registered_transport())
    actions.dispatch_shipment(shipment, actor=SYSTEM)

    page = new_page(phone=True)
    page.goto(f"{live_server.url}/d/{shipment.pod_token}/")
    page.wait_for_selector("text=确认收货")
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    line = shipment.lines.get()
    page.fill(f"[name=received_{line.pk}]", "28")
    page.fill(f"[name=damaged_{line.pk}]", "2")
    page.fill("[name=reason]", "两盒压坏")
    page.fill("[name=received_by]", "张护士长")
    page.fill("[name=receiver_phone]", "13800000000")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "delivery-phone.png"), full_page=True)
    page.click("#pod-submit")
    page.wait_for_selector("#pod-sent:not(.d-none)")  # sent through the phone's queue (issue 23)
    page.reload()
    page.wait_for_selector("text=张护士长")
    assert "28 / 30" in page.inner_text("body")
    assert AuditEvent.objects.filter(verb="record_delivery").count() == 1
