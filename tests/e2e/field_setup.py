"""Shipments on their way with a registered driver whose login is the demo ``driver`` account:
what the offline tests start from, built through the real actions."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from baogong.catalog import actions as catalog_actions
from baogong.core.audit import SystemActor
from baogong.distribution import actions
from baogong.distribution.actions import LineInput
from baogong.distribution.models import Shipment
from baogong.fleet import actions as fleet_actions
from baogong.fleet.tests.registered import registered_vehicle
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs.models import Organisation, Site
from baogong.people import actions as people_actions
from baogong.people.models import Person

SYSTEM = SystemActor("e2e")


def demo_driver() -> Any:
    """The demo ``driver`` login as a registered, tested driver."""
    user = get_user_model().objects.get(username="driver")
    person = Person.objects.filter(user=user).first() or people_actions.create_person(
        {"kind": "staff", "name": "王师傅", "organisation": Organisation.objects.get(code="CYGS"), "user": user},
        actor=SYSTEM,
    )
    people_actions.record_health_test(person, kind="antigen", result="negative", taken_at=timezone.now(), actor=SYSTEM)
    return fleet_actions.create_driver(
        {
            "organisation": Organisation.objects.get(code="CYGS"),
            "name": person.name,
            "phone": "13700000009",
            "licence_number": "DRV-E2E-OFFLINE",
            "licence_class": "B2",
            "licence_expiry": timezone.localdate() + dt.timedelta(days=365),
            "person": person,
            "user": user,
        },
        actor=SYSTEM,
    )


def shipments_on_the_way(n: int) -> list[Shipment]:
    """``n`` shipments of one unit each from 泰兴桥 to the field hospital, dispatched with the demo
    driver: one request of ``n`` lines, allocated and planned, split into one shipment per line."""
    txq = Site.objects.get(code="WH-TXQ")
    items = [
        catalog_actions.create_item({"code": f"OFF{i:04d}", "name": f"应急包{i:04d}", "unit": "箱"}, actor=SYSTEM)
        for i in range(n)
    ]
    expiry = timezone.localdate() + dt.timedelta(days=90)
    inventory_actions.receive_stock(
        txq,
        [ReceiptLineInput(item=it, batch="B1", qty=1, unit_cost=Decimal("10"), expiry=expiry) for it in items],
        actor=SYSTEM,
        qc_status="released",
    )
    needed_by = timezone.localdate() + dt.timedelta(days=1)
    request = actions.file_request(
        Site.objects.get(code="FH-FCL"),
        [LineInput(item=it, qty=1, needed_by=needed_by) for it in items],
        actor=SYSTEM,
        submit=True,
    )
    actions.approve_request(request, actor=SYSTEM)
    actions.confirm_allocation(actions.preview_allocation([txq], actor=SYSTEM), actor=SYSTEM)
    (first,) = actions.plan_shipments(actor=SYSTEM)
    line_ids = list(first.lines.order_by("pk").values_list("pk", flat=True))
    shipments = [first, *(actions.split_shipment(first, [pk], actor=SYSTEM) for pk in line_ids[1:])]
    transport = {"vehicle_id": registered_vehicle("沪A54321").pk, "driver_id": demo_driver().pk}
    for shipment in shipments:
        actions.pick_shipment(shipment, actor=SYSTEM)
        actions.load_shipment(shipment, actor=SYSTEM, **transport)
        actions.dispatch_shipment(shipment, actor=SYSTEM)
    return list(Shipment.objects.filter(pk__in=[s.pk for s in shipments]).order_by("pk"))


def photo(i: int) -> bytes:
    """A small PNG, different for every ``i`` (a delivery photo)."""
    from PIL import Image

    image = Image.new("RGB", (24, 24), ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256))
    image.putpixel((i % 24, (i // 24) % 24), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
