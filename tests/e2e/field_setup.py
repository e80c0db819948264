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


def fuel_tank(litres: int = 5000) -> Any:
    """A diesel tank at 凤凰加油站 (FS-FH, the demo ``fuel`` attendant's station) holding ``litres``."""
    from baogong.fleet import actions as fuel_actions

    diesel = catalog_actions.create_item({"code": "FUEL-0D", "name": "0号柴油", "unit": "L"}, actor=SYSTEM)
    tank = fuel_actions.create_tank(
        Site.objects.get(code="FS-FH"), diesel, code="T1", capacity_litres=20000, low_level_litres=500, actor=SYSTEM
    )
    fuel_actions.receive_fuel(tank, litres, Decimal("7.20"), reference="中石化-E2E", actor=SYSTEM)
    return tank


def keeper_stock(batches: int = 3, qty: int = 20) -> tuple[Any, list[Any]]:
    """At 泰兴桥 (the demo ``warehouse`` keeper's site): bin A-01, and ``batches`` lots received
    into the main store (what waits to be put away). Answers the bin and the main-store balances."""
    from baogong.inventory.models import StockBalance

    txq = Site.objects.get(code="WH-TXQ")
    bin_a = inventory_actions.create_location(txq, code="A-01", name="A-01", actor=SYSTEM)
    item = catalog_actions.create_item({"code": "PUT-0001", "name": "消毒液", "unit": "箱"}, actor=SYSTEM)
    expiry = timezone.localdate() + dt.timedelta(days=200)
    inventory_actions.receive_stock(
        txq,
        [
            ReceiptLineInput(item=item, batch=f"P{i}", qty=qty, unit_cost=Decimal("5"), expiry=expiry)
            for i in range(batches)
        ],
        actor=SYSTEM,
        qc_status="released",
    )
    balances = list(StockBalance.objects.filter(item=item, location__code="MAIN").order_by("lot__batch"))
    return bin_a, balances


def orders_out_for_delivery(n: int) -> list[Any]:
    """``n`` pharmacy orders (one OTC drug each, for 友谊路) handed to the demo ``driver`` as courier."""
    from baogong.orgs.models import AdministrativeArea
    from baogong.pharmacy import actions as pharmacy_actions
    from baogong.pharmacy.actions import OrderInput
    from baogong.pharmacy.demo_data import load_pharmacy_demo
    from baogong.pharmacy.models import Drug

    load_pharmacy_demo(units=10)
    drug = Drug.objects.get(item__code="YP-IBU")
    area = AdministrativeArea.objects.get(code="310113003")
    courier = get_user_model().objects.get(username="driver")
    pharmacist = get_user_model().objects.get(username="pharmacist")
    orders = []
    for i in range(n):
        data = OrderInput(
            lines=[(drug, 1)],
            resident_name=f"居民{i}",
            phone="13812345678",
            area=area,
            compound="友谊新村",
            building=f"{i + 1}号",
            room="101",
        )
        (order,) = pharmacy_actions.place_order(data, actor=SYSTEM)
        pharmacy_actions.approve_order(order, actor=pharmacist)
        pharmacy_actions.settle_order(order, method="self_pay", actor=pharmacist)
        orders.append(pharmacy_actions.dispatch_order(order, courier, actor=pharmacist))
    return orders
