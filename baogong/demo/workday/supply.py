"""Today's supply work: stock at 泰兴桥 (to put away, expiring, being counted), shipments at each
step from there (to pick, to load, to send, and the driver's route on the road), a lot waiting for
inspection and a requisition to place."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from baogong.catalog.models import Item
from baogong.core.errors import DomainError
from baogong.demo.workday.accounts import SYSTEM, WAREHOUSE, user
from baogong.distribution import actions as distribution
from baogong.distribution.models import Request, Shipment
from baogong.fleet import actions as fleet_actions
from baogong.fleet.models import Driver, RoutePlan, Vehicle
from baogong.fleet.tasks import run_plan
from baogong.inventory import actions as inventory
from baogong.inventory.models import Location, Lot, Stocktake
from baogong.orgs.choices import SiteStatus
from baogong.orgs.models import Organisation, Site
from baogong.procurement import actions as procurement
from baogong.procurement.models import PurchaseOrder, Supplier

BINS = [("A-01", "A区1号货位"), ("A-02", "A区2号货位"), ("B-01", "B区1号货位")]
# item, batch suffix, qty, unit cost, days to expiry, bin (None = the main store, to put away)
STOCK: list[tuple[str, str, int, str, int, str | None]] = [
    ("RICE-10", "R", 400, "68.00", 300, "A-01"),
    ("MILK-250", "M", 120, "45.00", 12, "A-02"),  # expires within the alert window
    ("WATER-18L", "W", 60, "18.00", 80, "B-01"),  # the bin being counted
    ("WATER-550", "S", 200, "24.00", 300, None),
    ("OIL-5L", "O", 80, "75.00", 400, None),
]
# recipient, (item, qty) — five requests, one shipment each
REQUESTS: list[tuple[str, list[tuple[str, int]]]] = [
    ("FH-FCL", [("RICE-10", 60), ("MILK-250", 20)]),
    ("EH-TY", [("RICE-10", 30), ("MILK-250", 15)]),
    ("IP-HKL", [("RICE-10", 40)]),
    ("SO-310113103", [("RICE-10", 50)]),
    ("SO-310113102", [("RICE-10", 45), ("MILK-250", 10)]),
]
NOTE = "今日保供需求"
# a sixth request, phoned in, waits for the command centre's approval
WAITING = ("HT-QJ", [("RICE-10", 20), ("MILK-250", 10)])
DRIVER_PLATE = "沪B60001"


def _batch(today: dt.date, suffix: str) -> str:
    return f"TXQ{today:%Y%m%d}-{suffix}"


def stock_the_warehouse(today: dt.date) -> int:
    """Bins at 泰兴桥, the day's receipt (some into bins, some still in the main store to put away,
    one lot of milk close to expiry) and a count of one bin, all by the keeper."""
    warehouse = Site.objects.get(code=WAREHOUSE)
    keeper = user("warehouse")
    if Lot.objects.filter(batch__startswith="TXQ", item__code="RICE-10").exists():
        return 0
    bins = {}
    for code, name in BINS:
        existing = Location.objects.filter(site=warehouse, code=code).first()
        bins[code] = existing or inventory.create_location(warehouse, code=code, name=name, actor=keeper)
    lines = [
        inventory.ReceiptLineInput(
            item=Item.objects.get(code=code),
            batch=_batch(today, suffix),
            qty=qty,
            unit_cost=Decimal(cost),
            production_date=today - dt.timedelta(days=5),
            expiry=today + dt.timedelta(days=days),
            location=bins[where] if where else None,
        )
        for code, suffix, qty, cost, days, where in STOCK
    ]
    inventory.receive_stock(
        warehouse, lines, actor=keeper, reference="保供物资到货", supplier_name="上海宝粮食品有限公司"
    )
    inventory.start_stocktake(warehouse, locations=[bins["B-01"]], actor=keeper, note="B区周盘点")
    return len(lines) + 1


def ship(today: dt.date) -> int:
    """Five requests approved and allocated from 泰兴桥; their shipments left at each step: the
    driver's two on the road (planned on a route, picked, loaded, sent), two picked for the
    dispatcher to load (on the second truck and driver), one waiting to be picked. A sixth request
    waits for approval. (Nothing is left loaded: a later 2022 replay would try to send it on a
    pass that starts today, and record a refusal each day.)"""
    if Request.objects.filter(note=NOTE).exists() or not Stocktake.objects.filter(note="B区周盘点").exists():
        return 0
    commander, keeper, dispatcher = user("commander"), user("warehouse"), user("dispatcher")
    warehouse = Site.objects.get(code=WAREHOUSE)
    if warehouse.status != SiteStatus.NORMAL:  # nothing filed: a later run, once it is normal, ships
        raise DomainError(
            f"{warehouse.name}{warehouse.get_status_display()}，今天的配送演示未生成"
            f" / {warehouse.code} is not normal: no shipments today"
        )
    requests = []
    for code, lines in REQUESTS:
        request = distribution.file_request(
            Site.objects.get(code=code), _lines(lines, today), actor=commander, submit=True, note=NOTE
        )
        requests.append(distribution.approve_request(request, actor=commander))
    run = distribution.preview_allocation([warehouse], actor=commander, request_ids=[r.pk for r in requests])
    distribution.confirm_allocation(run, actor=commander)
    planned = distribution.plan_shipments(actor=commander, warehouses=[warehouse])
    by_recipient = {s.recipient.code: s for s in planned}
    shipments = [by_recipient[code] for code, _wanted in REQUESTS]
    on_route = shipments[3:]
    _route(today, on_route)
    for shipment in on_route:
        distribution.pick_shipment(shipment, actor=keeper)
        distribution.load_shipment(shipment, actor=dispatcher)
        distribution.dispatch_shipment(shipment, actor=dispatcher)
    for picked in shipments[1:3]:
        distribution.pick_shipment(picked, actor=keeper)
    code, lines = WAITING
    distribution.file_request(Site.objects.get(code=code), _lines(lines, today), actor=SYSTEM, submit=True, note=NOTE)
    return len(shipments)


def _lines(lines: list[tuple[str, int]], today: dt.date) -> list[distribution.LineInput]:
    return [
        distribution.LineInput(item=Item.objects.get(code=item), qty=qty, needed_by=today + dt.timedelta(days=1))
        for item, qty in lines
    ]


def _route(today: dt.date, shipments: list[Shipment]) -> RoutePlan:
    """Today's route plan for the driver's truck: solved, the driver assigned, accepted (which
    writes the truck and driver to the shipments)."""
    dispatcher = user("dispatcher")
    truck = Vehicle.objects.get(plate=DRIVER_PLATE)
    stops = [
        fleet_actions.StopInput(
            site=s.recipient,
            demand_kg=sum(line.qty for line in s.lines.all()) * 10,
            demand_cases=sum(line.qty for line in s.lines.all()),
            reference=s.number or str(s.pk),
            shipment=s,
        )
        for s in shipments
    ]
    plan = fleet_actions.create_plan(
        Organisation.objects.get(code="CYGS"), today, [truck], stops, options={"time_limit_s": 1}, actor=dispatcher
    )
    run_plan(plan)
    driver = Driver.objects.get(user=user("driver"))
    for route in plan.routes.order_by("pk"):
        fleet_actions.assign_driver(route, driver, actor=dispatcher)
    fleet_actions.accept_plan(plan, actor=dispatcher)
    return plan


def purchases(today: dt.date) -> int:
    """Masks for 北翼's warehouse received today and waiting for inspection, and a requisition for
    disinfectant still to be placed."""
    supplier = Supplier.objects.filter(name="上海康安医疗器械有限公司", status="approved").first()
    if supplier is None or PurchaseOrder.objects.filter(lines__item__code="GOWN-DISP").exists():
        return 0
    officer = user("procurement")
    warehouse = Site.objects.get(code="WH-BY")

    def order(code: str, qty: int, price: str) -> PurchaseOrder:
        line = procurement.OrderLineInput(
            item=Item.objects.get(code=code),
            qty=qty,
            unit_price=Decimal(price),
            delivery_date=today,
            warehouse=warehouse,
        )
        return procurement.create_order(supplier.organisation, supplier, [line], actor=officer)

    masks = procurement.submit_order(order("MASK-N95", 100, "250.00"), actor=officer)
    line = masks.lines.get()
    procurement.receive_against_order(
        masks,
        [
            procurement.ReceiveLineInput(
                line=line,
                qty=line.qty,
                batch=f"KA-N95-{today:%y%m%d}",
                production_date=today - dt.timedelta(days=30),
                expiry=today + dt.timedelta(days=1000),
            )
        ],
        actor=officer,
        delivery_note=f"康安送货单 {today:%m%d}-01",
    )
    order("GOWN-DISP", 200, "38.00")  # a draft: the officer checks and submits it
    return 2
