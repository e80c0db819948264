"""What happens on each day of the Baoshan 2022 replay. Every change is an app's action."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.core.errors import DomainError
from baogong.demo.scenario import (
    CARE_SITES,
    CASE_ITEMS,
    FARM_ITEMS,
    FUEL_GRADES,
    FUEL_STATIONS,
    HOSPITALS,
    INDUSTRIAL_ITEM,
    SHANGHAI,
    START,
    SUPPLY_VEHICLES,
    VENUES,
)

if TYPE_CHECKING:
    from baogong.demo.scenario import Scenario

PDF = b"%PDF-1.4\n% scenario document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WAREHOUSE = "WH-TXQ"
# Cases a bureau or street/town office asks for per request (scaled so that two months come to
# the article's order: about 56,000 items worth about ¥110M).
OFFICE_DEMAND = 56
# (name, USCC, categories, device licence) — the USCCs carry valid GB 32100 check characters.
SUPPLIERS = [
    ("上海宝康防护用品有限公司", ["protective", "ivd", "disinfectant"], "沪宝药监械经营许20200101号"),
    ("江苏恒安医疗器械有限公司", ["protective", "ivd", "disinfectant"], "苏锡药监械经营许20190233号"),
    ("上海鑫诚医疗用品有限公司", ["protective", "ivd", "disinfectant"], "沪宝药监械经营许20220410号"),
]
COUNTERFEIT_SUPPLIER = "上海鑫诚医疗用品有限公司"
GENUINE_AG = "国械注准20203400830"
FAKE_AG = "沪宝械备20200123"


def _uscc(serial: int) -> str:
    from baogong.core.identifiers import uscc_check_char

    body = f"91310113MA1K{serial:05d}"
    return body + uscc_check_char(body)


# --- preparation -----------------------------------------------------------------------------
def prepare(s: Scenario) -> None:
    from baogong.catalog.demo_data import load_catalog_demo
    from baogong.demo.actions import load_base_data, load_demo_accounts

    load_base_data()
    load_demo_accounts()
    load_catalog_demo()
    _case_items(s)
    _farm_and_industry_items(s)
    _suppliers(s)
    _missions(s)
    _people(s)
    _pharmacy(s)
    _property(s)
    _fuel_stations(s)


def _case_items(s: Scenario) -> None:
    from baogong.catalog import actions
    from baogong.catalog.models import Category, Item

    categories = {c.code: c for c in Category.objects.all()}
    for code, name, category, unit, pack_qty, pack_unit, price, kg, m3, _weight in CASE_ITEMS:
        if Item.objects.filter(code=code).exists():
            continue
        actions.create_item(
            {
                "code": code,
                "name": name,
                "category": categories[category],
                "unit": unit,
                "pack_qty": pack_qty,
                "pack_unit": pack_unit,
                "weight_kg": Decimal(kg),
                "volume_m3": Decimal(m3),
                "reference_price": Decimal(price),
                "shelf_life_days": 730,
                "regulatory_number": GENUINE_AG if code == "SC-AG-CASE" else "",
            },
            actor=s.system,
            price_source="2022年4月保供采购参考价",
        )


def _farm_and_industry_items(s: Scenario) -> None:
    from baogong.catalog import actions
    from baogong.catalog.models import Category, Item

    categories = {c.code: c for c in Category.objects.all()}
    fuel = [("GASOLINE-92", "92号车用汽油", "FUEL", "升", "8.62", "0.74", "0.001", 0)]
    for code, name, category, unit, price, kg, m3, _units in [*FARM_ITEMS, INDUSTRIAL_ITEM, *fuel]:
        if Item.objects.filter(code=code).exists():
            continue
        actions.create_item(
            {
                "code": code,
                "name": name,
                # The catalog has no category for industrial raw materials: the ferrochrome is uncategorised.
                "category": categories[category] if category else None,
                "unit": unit,
                "pack_qty": 1,
                "weight_kg": Decimal(kg),
                "volume_m3": Decimal(m3),
                "reference_price": Decimal(price),
            },
            actor=s.system,
            price_source="2022年4月市场参考价",
        )


def _fuel_stations(s: Scenario) -> None:
    """Tanks at the two Changxing stations, filled; the distribution trucks registered with their
    passes (so they take the stations' green channel)."""
    from baogong.catalog.models import Item
    from baogong.fleet import actions
    from baogong.fleet.models import FuelTank, Vehicle
    from baogong.orgs.models import AdministrativeArea, Organisation

    commander = s.user("commander")
    for code in FUEL_STATIONS:
        station = s.site(code)
        for tank_code, item_code, capacity, low, cost, _price in FUEL_GRADES:
            if FuelTank.objects.filter(station=station, code=tank_code).exists():
                continue
            tank = actions.create_tank(
                station,
                Item.objects.get(code=item_code),
                code=tank_code,
                capacity_litres=capacity,
                low_level_litres=low,
                actor=commander,
            )
            actions.receive_fuel(
                tank, capacity * 4 // 5, Decimal(cost), reference=f"长兴油库-{code}-{tank_code}-0330", actor=commander
            )
    owner = Organisation.objects.get(code="CYGS")
    areas = list(AdministrativeArea.objects.exclude(level="district").order_by("code"))
    for n in range(SUPPLY_VEHICLES):
        plate = _truck(n)
        if Vehicle.objects.filter(plate=plate).exists():
            continue
        vehicle = actions.create_vehicle(
            {
                "organisation": owner,
                "plate": plate,
                "kind": "light_truck",
                "capacity_kg": 5000,
                "capacity_cases": 300,
                "home_depot": s.site(WAREHOUSE),
            },
            actor=commander,
        )
        actions.register_pass(
            {
                "number": f"310113{220400 + n:06d}",
                "vehicle": vehicle,
                "route_description": "泰兴桥大仓—宝山各街镇、长兴岛",
                "valid_from": START,
                "valid_until": dt.date(2022, 6, 30),
                "issuing_body": "宝山区疫情防控工作领导小组办公室",
            },
            areas,
            actor=commander,
        )


def _attendant(s: Scenario, station: Any) -> Any:
    """The demo fuel attendant (``fuel``, at 凤凰) where the account may act, else the command centre."""
    from baogong.core.scoping import user_scope

    fuel = s.user("fuel")
    if getattr(fuel, "pk", None) and user_scope(fuel).allows(
        organisation_id=station.organisation_id, site_id=station.pk
    ):
        return fuel
    return s.user("commander")


def _truck(n: int) -> str:
    return f"沪B{10000 + n % SUPPLY_VEHICLES:05d}"


def _suppliers(s: Scenario) -> None:
    from baogong.orgs.models import Organisation
    from baogong.procurement import actions
    from baogong.procurement.models import Supplier

    officer, commander = s.user("procurement"), s.user("commander")
    for n, (name, categories, device_licence) in enumerate(SUPPLIERS, start=1):
        if Supplier.objects.filter(name=name).exists():
            continue
        uscc = _uscc(n)
        supplier = actions.register_supplier(
            {
                "organisation": Organisation.objects.get(code="BYJT"),
                "name": name,
                "uscc": uscc,
                "legal_representative": "王建国",
                "contact_name": "李敏",
                "contact_phone": "13900000000",
                "categories": categories,
            },
            actor=officer,
        )
        for kind, number in (("business", uscc), ("device_business", device_licence)):
            actions.add_licence(
                supplier,
                {
                    "kind": kind,
                    "number": number,
                    "scope": "",
                    "issued_on": dt.date(2020, 1, 1),
                    "expires_on": None if kind == "business" else dt.date(2025, 12, 31),
                },
                document=ContentFile(PDF, name=f"{kind}.pdf"),
                actor=officer,
            )
        actions.approve_supplier(supplier, reason="资质审核通过", actor=commander)


def _missions(s: Scenario) -> None:
    from baogong.finance import actions
    from baogong.finance.models import Mission
    from baogong.orgs.models import Organisation

    if Mission.objects.filter(code__startswith="M-FH-").exists():
        return
    funder = Organisation.objects.get(code="BSZF-WJW")
    owner = Organisation.objects.get(code="BYJT")
    for code, name, budget in (
        ("FH-FCL", "富长路方舱医院运行保障", "16000000"),
        ("FH-MPL", "湄浦路方舱医院运行保障", "16000000"),
    ):
        actions.create_mission(
            {
                "code": f"M-{code}",
                "name": name,
                "kind": "field_hospital",
                "organisation": owner,
                "funder": funder,
                "budget": Decimal(budget),
                "starts_on": START,
                "ends_on": dt.date(2022, 5, 31),
            },
            recipients=[s.site(code)],
            actor=s.user("commander"),
        )


def _people(s: Scenario) -> None:
    from baogong.people.demo_data import load_people_demo

    load_people_demo()


def _pharmacy(s: Scenario) -> None:
    from baogong.pharmacy.demo_data import load_pharmacy_demo

    load_pharmacy_demo(units=400)


def _property(s: Scenario) -> None:
    from baogong.property.demo_data import load_property_demo

    load_property_demo()


# --- each day ----------------------------------------------------------------------------------
def replay_day(s: Scenario, day: dt.date, index: int) -> None:
    with s.at(day, 3):
        _fuel(s, day, index, 3)
    with s.at(day, 7):
        _health(s, day, index)
    with s.at(day, 8):
        _procure(s, day, index)
    with s.at(day, 10):
        _requests(s, day, index)
        _farm_and_industry(s, day, index)
    with s.at(day, 11):
        _fuel(s, day, index, 11)
    with s.at(day, 13):
        _allocate_and_ship(s, day, index)
    with s.at(day, 15):
        _reopening(s, day, index)
    with s.at(day, 16):
        _deliver(s, day, index)
    with s.at(day, 20):
        _fuel(s, day, index, 20)
    with s.at(day, 18):
        _pharmacy_orders(s, day, index)
        _costs(s, day, index)
        _posts(s, day, index)
        _relief(s, day, index)


# Demand per recipient per day, in cases, before shortage (bureaus and towns get the bulk).
def _demand(s: Scenario, code: str) -> list[tuple[str, int]]:
    weights = [row[9] for row in CASE_ITEMS]
    lines = []
    picks = s.rng.sample(range(len(CASE_ITEMS)), k=3)
    base = OFFICE_DEMAND if code.startswith(("SO-", "GB-")) else 50
    for i in picks:
        lines.append((CASE_ITEMS[i][0], max(1, int(base * weights[i] / 15 * s.rng.uniform(0.6, 1.4)))))
    return lines


def _requests(s: Scenario, day: dt.date, index: int) -> None:
    from baogong.catalog.models import Item
    from baogong.distribution import actions
    from baogong.orgs.models import Site

    items = {i.code: i for i in Item.objects.filter(code__startswith="SC-")}
    offices = list(Site.objects.filter(kind__in=["street_office", "government_bureau"]).order_by("code"))
    # Streets/towns and bureaus ask every third day (a third of them each day), hospitals every
    # other day, care sites weekly.
    todays = [o for n, o in enumerate(offices) if (n + index) % 3 == 0]
    todays += [s.site(c) for c in HOSPITALS if index % 2 == 0] + [s.site(c) for c in CARE_SITES if index % 7 == 0]
    commander = s.user("commander")
    for recipient in todays:
        lines = [
            actions.LineInput(item=items[code], qty=qty, needed_by=day + dt.timedelta(days=1))
            for code, qty in _demand(s, recipient.code)
        ]
        request = actions.file_request(recipient, lines, actor=commander, submit=True, note="每日防疫物资需求")
        actions.approve_request(request, actor=commander)
        s.outcome.requests += 1


def _procure(s: Scenario, day: dt.date, index: int) -> None:
    """Buy every other day, roughly 90% of demand: supply stays short and allocation rations it."""
    from baogong.catalog.models import Item
    from baogong.procurement import actions
    from baogong.procurement.models import Supplier

    if index % 3:
        return
    # The district programme was bought for the 泰兴桥 warehouse (储运公司) on the command centre's
    # behalf: the requisition is raised by the scenario's system actor (only a group-wide actor may
    # buy for 北翼集团 into a 储运公司 warehouse), so that the commander, who holds the approval level
    # of orders over ¥200,000 once bootstrap has loaded the procurement demo, is not approving their
    # own requisition.
    officer = s.system
    qc = commander = s.user("commander")
    warehouse = s.site(WAREHOUSE)
    suppliers = {sp.name: sp for sp in Supplier.objects.filter(name__in=[n for n, _c, _l in SUPPLIERS])}
    for n, (code, _name, _cat, _unit, _pq, _pu, price, _kg, _m3, weight) in enumerate(CASE_ITEMS):
        item = Item.objects.get(code=code)
        supplier_name = SUPPLIERS[(index // 2 + n) % 2][0]
        if code == "SC-AG-CASE" and index in (3, 9):
            supplier_name = COUNTERFEIT_SUPPLIER
        supplier = suppliers[supplier_name]
        if supplier.status != "approved":
            supplier = suppliers[SUPPLIERS[0][0]]
        # three days of the programme's demand, about 10% short
        qty = int(weight / 15 * (17 * OFFICE_DEMAND + 2 * 50 * 1.5) * 0.9 * s.rng.uniform(0.85, 1.05)) + 10
        order = actions.create_order(
            supplier.organisation,
            supplier,
            [
                actions.OrderLineInput(
                    item=item, qty=qty, unit_price=Decimal(price), delivery_date=day, warehouse=warehouse
                )
            ],
            actor=officer,
        )
        order = actions.submit_order(
            order, actor=officer, emergency=index < 6, emergency_reason="封控初期紧急采购" if index < 6 else ""
        )
        while order.status == "pending_approval":
            order = actions.approve_order(order, actor=commander)
        line = order.lines.get()
        batch = f"{code[3:7]}{day:%m%d}{n}"
        fake = supplier_name == COUNTERFEIT_SUPPLIER and index == 9
        [receipt] = actions.receive_against_order(
            order,
            [
                actions.ReceiveLineInput(
                    line=line,
                    qty=line.qty,
                    batch=batch,
                    production_date=day - dt.timedelta(days=15),
                    expiry=day + dt.timedelta(days=700),
                )
            ],
            actor=officer,
        )
        lot = receipt.lot
        data = actions.InspectionInput(
            batch=batch,
            registration_number=FAKE_AG if fake else (GENUINE_AG if code == "SC-AG-CASE" else ""),
            registrant=supplier_name if fake else ("" if code != "SC-AG-CASE" else "广州万孚生物技术股份有限公司"),
            production_date=lot.production_date,
            expiry=lot.expiry,
            has_inspection_report=True,
            sample_result="pass",
        )
        if fake:
            actions.inspect_lot(lot, data, decision="reject", reason="一类备案号冒充第三类注册证，注册人不符", actor=qc)
            earlier = _earlier_lot(supplier, item)
            if earlier is not None:
                actions.mark_lot_counterfeit(earlier, reason="同一供应商后续批次为一类备案号，首批疑似假冒", actor=qc)
                s.outcome.counterfeit_cases += 1
                s.outcome.notes.append(f"{day}: 假冒抗原 {earlier.batch} 召回 / counterfeit lot recalled")
        else:
            actions.inspect_lot(lot, data, decision="release", actor=qc)


def _earlier_lot(supplier: Any, item: Any) -> Any:
    from baogong.inventory.models import Lot
    from baogong.procurement.actions import lots_from_supplier

    ids = lots_from_supplier(supplier, item.pk)
    return Lot.objects.filter(pk__in=ids, qc_status="released").order_by("pk").first()


def _allocate_and_ship(s: Scenario, day: dt.date, index: int) -> None:
    from baogong.distribution import actions
    from baogong.distribution.models import Shipment

    commander = s.user("commander")
    warehouse = s.site(WAREHOUSE)
    run = actions.preview_allocation([warehouse], actor=commander)
    actions.confirm_allocation(run, actor=commander)
    keeper = s.user("warehouse")  # the 泰兴桥 keeper
    # Shipments held back by an earlier refusal (a site locked down) are tried again first.
    held = list(Shipment.objects.filter(warehouse=warehouse, status__in=["picked", "loaded"]).order_by("pk"))
    planned = actions.plan_shipments(actor=commander, warehouses=[warehouse])
    for n, shipment in enumerate([*held, *planned]):
        try:
            if shipment.status == "planned":
                shipment = actions.pick_shipment(shipment, actor=keeper)
            if shipment.status != "loaded":
                shipment = actions.load_shipment(
                    shipment,
                    actor=s.user("dispatcher"),
                    vehicle_plate=_truck(n),
                    driver_name=f"司机{n % 20 + 1:02d}",
                    driver_phone="13700000000",
                )
            actions.dispatch_shipment(shipment, actor=s.user("dispatcher"))
        except DomainError as exc:
            s.outcome.refused_dispatches.append(f"{day} {shipment.recipient.code}: {exc.message}")
            continue
        s.outcome.shipments += 1


def _deliver(s: Scenario, day: dt.date, index: int) -> None:
    from baogong.distribution import actions
    from baogong.distribution.models import Shipment

    for shipment in Shipment.objects.filter(status="in_transit").order_by("pk"):
        lines = []
        for line in shipment.lines.order_by("pk"):
            short = 1 if s.rng.random() < 0.03 and line.qty > 5 else 0
            lines.append(actions.DeliveryLineInput(line_id=line.pk, received=line.qty - short))
        actions.record_delivery(
            shipment,
            lines,
            received_by=f"{shipment.recipient.name}收货员",
            receiver_phone="13600000000",
            client_token=f"scenario-{shipment.pk}",
            actor=s.system,
            reason="到货短少"
            if any(line.received < ln.qty for line, ln in zip(lines, shipment.lines.order_by("pk"), strict=True))
            else "",
        )
        actions.close_shipment(shipment, actor=s.user("dispatcher"))
        s.outcome.delivered_units += sum(line.received for line in lines)


def _health(s: Scenario, day: dt.date, index: int) -> None:
    """Outbreaks in the warehouse (day 10), the farm cooperative (day 20) and the elderly home
    (day 25); each person recovers after a week of negative tests."""
    from django.db.models import Q

    from baogong.people import actions
    from baogong.people.models import CloseContact, Person

    events = {9: WAREHOUSE, 19: "FC-NZ", 24: "EH-TY"}
    if index in events:
        site = s.site(events[index])
        person = Person.objects.filter(home_site=site).order_by("pk").first()
        if person is not None:
            actions.record_health_test(
                person,
                kind="antigen",
                result="positive",
                taken_at=dt.datetime.combine(day, dt.time(7), tzinfo=SHANGHAI),
                site=site,
                actor=s.user("health"),
            )
            s.outcome.notes.append(f"{day}: {site.name} 抗原阳性 / positive test")
    for start in events:
        if start + 1 <= index <= start + 8:
            # Everyone at the site (the case and the close contacts) is tested daily; negative
            # results on separate days clear them, and the site with them.
            site = s.site(events[start])
            contacts = CloseContact.objects.filter(incident__site=site).values_list("person_id", flat=True)
            people = Person.objects.filter(Q(home_site=site) | Q(pk__in=contacts)).distinct().order_by("pk")
            for person in people:
                try:
                    actions.record_health_test(
                        person,
                        kind="pcr",
                        result="negative",
                        taken_at=dt.datetime.combine(day, dt.time(7), tzinfo=SHANGHAI),
                        site=site,
                        actor=s.user("health"),
                    )
                except DomainError as exc:
                    s.outcome.notes.append(f"{day}: {exc.message}")


def _pharmacy_orders(s: Scenario, day: dt.date, index: int) -> None:
    from baogong.orgs.models import AdministrativeArea
    from baogong.pharmacy import actions
    from baogong.pharmacy.models import Drug

    drugs = list(Drug.objects.exclude(sale_class="rx").filter(online_ban="").order_by("pk")[:6])
    if not drugs:
        return
    areas = list(AdministrativeArea.objects.exclude(level="district").order_by("code"))
    pharmacist = s.user("pharmacist")
    for n in range(6):
        drug = drugs[(index + n) % len(drugs)]
        area = areas[(index * 7 + n) % len(areas)]
        try:
            orders = actions.place_order(
                actions.OrderInput(
                    lines=[(drug, 1 + n % 2)],
                    resident_name=f"居民{index:02d}{n}",
                    phone=f"135{index:04d}{n:04d}",
                    area=area,
                    compound=f"{area.name}小区",
                    building=str(1 + n),
                    room=f"{101 + n}",
                    insurance_card=f"SH{index:04d}{n:04d}",
                ),
                actor=s.system,
            )
            for order in orders:
                order = actions.approve_order(order, actor=pharmacist)
                actions.settle_order(
                    order,
                    method="insurance",
                    transaction_number=f"YB{order.pk:010d}",
                    current_year=Decimal("200.00"),
                    prior_years=Decimal("500.00"),
                    actor=pharmacist,
                )
                order = actions.dispatch_order(order, pharmacist, actor=pharmacist)
                actions.confirm_delivery(order, order.handover_code, actor=pharmacist)
                s.outcome.pharmacy_orders += 1
        except DomainError as exc:
            s.outcome.notes.append(f"{day}: 药店订单 {exc.message}")


def _costs(s: Scenario, day: dt.date, index: int) -> None:
    """Weekly running costs of the two field hospitals: ¥31.1M over the two months."""
    from baogong.finance import actions
    from baogong.finance.models import Mission

    if index % 7 != 6:
        return
    commander = s.user("commander")
    categories = [
        ("labour", "0.35", "医护后勤人员劳务"),
        ("lodging", "0.30", "餐饮住宿"),
        ("transport", "0.10", "转运车辆"),
        ("other", "0.25", "消杀保洁及耗材"),
    ]
    weekly = Decimal("31100000") / Decimal(max(1, s.days // 7)) / 2
    for mission in Mission.objects.filter(code__in=["M-FH-FCL", "M-FH-MPL"]).order_by("code"):
        for category, share, what in categories:
            line = actions.add_cost_line(
                mission,
                {
                    "category": category,
                    "amount": (weekly * Decimal(share)).quantize(Decimal("0.01")),
                    "invoice_number": f"{mission.code}-{day:%m%d}-{category[:3]}",
                    "supplier": what,
                    "incurred_on": day,
                    "description": f"{what} {day:%m月%d日}当周",
                },
                actor=commander,
            )
            actions.approve_cost_line(line, actor=commander)


def _posts(s: Scenario, day: dt.date, index: int) -> None:
    """74 news items and WeChat posts (≈22,000 reads) and 32 outside reports over the period."""
    from baogong.command import actions
    from baogong.orgs.models import Organisation

    org = Organisation.objects.get(code="BSGX")
    own = [n for n in range(74) if n * s.days // 74 == index]
    press = [n for n in range(32) if n * s.days // 32 == index]
    for n in own:
        actions.record_post(
            {
                "organisation": org,
                "kind": "own",
                "channel": "wechat" if n % 3 else "website",
                "published_on": day,
                "title": f"《我在“疫”线》第{n + 1}期",
                "reads": 280 + (n * 37) % 60,
            },
            actor=s.user("commander"),
        )
    for n in press:
        actions.record_post(
            {
                "organisation": org,
                "kind": "coverage",
                "channel": "press",
                "outlet": "宝山发布",
                "published_on": day,
                "title": f"宝山供销社保供一线报道({n + 1})",
            },
            actor=s.user("commander"),
        )


RELIEF_FIRST_DAY = 40  # 2022-05-11: relief applications open (the first policy is in force)
RELIEF_TENANTS = 950
MARKETS = 10


def _id_number(serial: int) -> str:
    from baogong.core.identifiers import ID_CHECK, ID_WEIGHTS

    body = f"31011319{70 + serial % 30:02d}0{1 + serial % 9}1{serial % 9}{serial % 1000:03d}"[:17]
    return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def _markets(s: Scenario) -> list[Any]:
    from baogong.orgs.models import AdministrativeArea, Organisation
    from baogong.property import actions
    from baogong.property.models import Property

    made = list(Property.objects.filter(code__startswith="P-SC-").order_by("code"))
    if made:
        return made
    areas = list(AdministrativeArea.objects.exclude(level="district").order_by("code"))
    owner = Organisation.objects.get(code="BYJT")
    per = RELIEF_TENANTS // MARKETS + 1
    for m in range(MARKETS):
        area = areas[m % len(areas)]
        made.append(
            actions.create_property(
                {
                    "code": f"P-SC-{m + 1:02d}",
                    "name": f"{area.name}供销农贸市场",
                    "owner": owner,
                    "area": area,
                    "address": f"{area.name}供销路{m + 1}号",
                    "use": "commercial",
                    "is_state_owned": True,
                },
                [
                    {"code": f"{u + 1:03d}", "floor_area": Decimal("20.00") + u % 30, "use": "commercial"}
                    for u in range(per)
                ],
                actor=s.system,
            )
        )
    return made


def _relief(s: Scenario, day: dt.date, index: int) -> None:
    """Rent relief: ~48 merchants apply each day from 2022-05-11 (the 2022-03 policy, the
    2022-05 policy from 05-29); the office reviews the previous day's applications in batches
    (经办 → 审核 → 批准). A merchant in arrears is held until cured."""
    from baogong.property import actions
    from baogong.property.models import ReliefApplication, Tenant

    first = min(RELIEF_FIRST_DAY, max(0, s.days - 3))
    if index < first:
        return
    officer = s.user("property")
    markets = _markets(s)
    tenants = RELIEF_TENANTS * min(s.days, 60) // 60
    per_day = tenants // max(1, s.days - first) + 1
    start = (index - first) * per_day
    industries = ["零售业", "餐饮业", "住宿业", "租赁和商务服务业", "其他未列明行业"]
    for n in range(start, min(start + per_day, tenants)):
        code = f"T-SC-{n + 1:04d}"
        if Tenant.objects.filter(code=code).exists():
            continue
        market = markets[n % MARKETS]
        unit = market.units.order_by("code")[n // MARKETS]
        individual = n % 3 != 0
        tenant = actions.create_tenant(
            {
                "organisation": market.owner,
                "code": code,
                "kind": "individual_business" if individual else "enterprise",
                "name": f"{market.name}{n + 1}号商户" if individual else f"上海宝山{n + 1}号商贸有限公司",
                "industry": industries[n % len(industries)],
                "employees": None if individual else 5 + n % 20,
                "revenue_wan": None if individual else Decimal(80 + n % 200),
                "assets_wan": None if individual else Decimal(50 + n % 150),
                "operator_name": f"商户{n + 1}" if individual else "",
                "operator_id_number": _id_number(n) if individual else "",
                "uscc": "" if individual else _uscc(1000 + n),
                "contact_name": f"商户{n + 1}",
                "contact_phone": f"1380{n:07d}",
            },
            actor=officer,
        )
        rent = Decimal(1500 + (n * 37) % 3000)
        lease = actions.create_lease(
            {
                "code": f"L-SC-{n + 1:04d}",
                "organisation": market.owner,
                "tenant": tenant,
                "rent": rent * 3,
                "period_months": 3,
                "start": dt.date(2021, 1 + n % 12, 1),
                "end": dt.date(2023, 12, 31),
                "deposit": rent,
            },
            units=[unit],
            actor=officer,
        )
        application = actions.submit_application(lease, as_of=day, actor=officer)
        for kind in _required(application):
            upload = SimpleUploadedFile(f"{kind}.pdf", PDF, content_type="application/pdf")
            actions.upload_document(application, kind, upload, actor=officer)
    submitted = ReliefApplication.objects.filter(status="submitted", submitted_on__lt=day)
    actions.batch_review(list(submitted), "handle", actor=officer)
    handled = ReliefApplication.objects.filter(status="handled")
    actions.batch_review(list(handled), "check", actor=s.user("commander"))
    checked = ReliefApplication.objects.filter(status="checked")
    result = actions.batch_review(list(checked), "approve", actor=s.user("commander"))
    s.outcome.relief_approved += len(result.done)


def _required(application: Any) -> list[str]:
    from baogong.property.queries import required_documents

    return required_documents(application)


def finish(s: Scenario) -> None:
    """Close the books: review what is left, top up relief granted under the first policy to the
    second's six months, and claim the field-hospital costs from the funder."""
    from baogong.finance import actions as finance
    from baogong.finance.models import Mission
    from baogong.property import actions as property_actions
    from baogong.property.models import Policy, ReliefApplication

    officer, commander = s.user("property"), s.user("commander")
    for step, status, actor in (
        ("handle", "submitted", officer),
        ("check", "handled", commander),
        ("approve", "checked", commander),
    ):
        result = property_actions.batch_review(list(ReliefApplication.objects.filter(status=status)), step, actor=actor)
        if step == "approve":
            s.outcome.relief_approved += len(result.done)
    later = Policy.objects.filter(code="sh-2022-05").first()
    if later is not None and s.days >= 59:
        property_actions.top_up_relief(later, actor=commander)
    for mission in Mission.objects.filter(code__in=["M-FH-FCL", "M-FH-MPL"]).order_by("code"):
        lines = list(mission.cost_lines.filter(status="approved", claim__isnull=True))
        if lines:
            claim = finance.create_claim(mission, lines, actor=commander)
            finance.submit_claim(claim, on=s.today(), actor=commander)


# --- fuel, farm inputs, the far-away customer, reopening inspections ---------------------------
FUEL_SLOTS = {3: "00-08", 11: "08-16", 20: "16-24"}
ATTENDANTS = {"FS-FH": ["张伟", "李娜", "王强", "刘洋"], "FS-CD": ["陈静", "杨帆", "赵磊", "周敏"]}


def _fuel(s: Scenario, day: dt.date, index: int, hour: int) -> None:
    """The two Changxing stations stay open 24 hours: each shift is rostered; a private car and
    one or two supply trucks queue; the trucks (registered, with a pass valid today) take the
    green channel and are served first; a tank running low is refilled."""
    from baogong.fleet import actions
    from baogong.fleet.models import FuelTank
    from baogong.fleet.queries import tank_level, waiting_queue

    slot = FUEL_SLOTS[hour]
    prices = {item: Decimal(price) for _t, item, _c, _l, _cost, price in FUEL_GRADES}
    costs = {item: Decimal(cost) for _t, item, _c, _l, cost, _p in FUEL_GRADES}
    for k, code in enumerate(FUEL_STATIONS):
        station = s.site(code)
        attendant = _attendant(s, station)
        names = ATTENDANTS[code]
        actions.set_roster(
            station, day, slot, [names[(index + hour) % 4], names[(index + hour + 1) % 4]], actor=attendant
        )
        tanks = {t.item.code: t for t in FuelTank.objects.filter(station=station).select_related("item", "station")}
        for item_code, tank in sorted(tanks.items()):
            level = tank_level(tank)
            if level < tank.capacity_litres * 2 // 5:
                actions.receive_fuel(
                    tank,
                    tank.capacity_litres * 9 // 10 - level,
                    costs[item_code],
                    reference=f"长兴油库-{code}-{tank.code}-{day:%m%d}{hour:02d}",
                    actor=attendant,
                )
        start = dt.datetime.combine(day, dt.time(hour, 0), tzinfo=SHANGHAI)
        if (index + hour + k) % 2 == 0:
            car = f"沪C{(index * 37 + hour * 7 + k * 3) % 90000 + 10000:05d}"
            actions.arrive_at_station(station, car, actor=attendant, at=start)
        for t in range(1 + (index + k + hour) % 2):
            truck = _truck(index * 3 + hour + k * 7 + t)
            actions.arrive_at_station(station, truck, actor=attendant, at=start + dt.timedelta(minutes=5 + t))
        for n, ticket in enumerate(waiting_queue(station)):
            diesel = ticket.green_channel
            litres = s.rng.randint(80, 160) if diesel else s.rng.randint(30, 50)
            tank = tanks["DIESEL-0" if diesel else "GASOLINE-92"]
            sale = actions.sell_fuel(
                tank,
                ticket.plate,
                litres,
                prices[tank.item.code],
                actor=attendant,
                ticket=ticket,
                at=start + dt.timedelta(minutes=10 + 8 * n),
            )
            s.outcome.fuel_sales += 1
            s.outcome.fuel_litres += sale.litres
            s.outcome.green_channel_litres += sale.litres if sale.green_channel else 0


def _farm_and_industry(s: Scenario, day: dt.date, index: int) -> None:
    """Spring planting (April): the farm-inputs company receives fertiliser, seed and film and the
    vegetable cooperative asks for them every fourth day. Every fifth day the southern company's
    ferrochrome for POSCO's Zhangjiagang mill comes in and is shipped on (a 90 km run)."""
    from baogong.catalog.models import Item
    from baogong.distribution import actions
    from baogong.inventory.actions import ReceiptLineInput, receive_stock

    commander = s.user("commander")
    warehouse = s.site(WAREHOUSE)
    orders: list[tuple[str, list[tuple[str, str, int]]]] = []
    if index % 4 == 0 and index < 30:
        farm = [
            (code, price, units + s.rng.randint(0, units // 4)) for code, _n, _c, _u, price, _k, _m, units in FARM_ITEMS
        ]
        orders.append(("FC-NZ", farm))
    if index % 5 == 2:
        code, _n, _c, _u, price, _k, _m, tonnes = INDUSTRIAL_ITEM
        orders.append(("CU-POSCO", [(code, price, tonnes)]))
    for recipient_code, lines in orders:
        items = {i.code: i for i in Item.objects.filter(code__in=[c for c, _p, _q in lines])}
        supplier = "上海宝山农资有限公司" if recipient_code == "FC-NZ" else "上海南方供销有限公司"
        receive_stock(
            warehouse,
            [
                ReceiptLineInput(item=items[c], batch=f"{c[-4:]}{day:%m%d}", qty=q, unit_cost=Decimal(p))
                for c, p, q in lines
            ],
            actor=commander,
            reference=f"{recipient_code}-{day:%Y%m%d}",
            supplier_name=supplier,
        )
        request = actions.file_request(
            s.site(recipient_code),
            [actions.LineInput(item=items[c], qty=q, needed_by=day + dt.timedelta(days=2)) for c, _p, q in lines],
            actor=commander,
            submit=True,
            note="春耕农资配送" if recipient_code == "FC-NZ" else "浦项不锈钢托底保供(防停炉)",
        )
        actions.approve_request(request, actor=commander)
        s.outcome.requests += 1
        if recipient_code == "FC-NZ":
            s.outcome.farm_input_units += sum(q for _c, _p, q in lines)
        else:
            s.outcome.industrial_tonnes += sum(q for _c, _p, q in lines)


REOPENING_FIRST_DAY = 50  # 2022-05-21: work and trade resume (复商复市)


def _venues(s: Scenario) -> list[Any]:
    from baogong.orgs.actions import create_site
    from baogong.orgs.models import AdministrativeArea, Organisation, Site

    venues = []
    for code, name, org, area_code in VENUES:
        site = Site.objects.filter(code=code).first()
        if site is None:
            area = AdministrativeArea.objects.get(code=area_code)
            site = create_site(
                {
                    "code": code,
                    "name": name,
                    "kind": "commercial_venue",
                    "organisation": Organisation.objects.get(code=org),
                    "area": area,
                    "address": f"{area.name}{name[-3:]}",
                    "lat": area.lat,
                    "lon": area.lon,
                },
                actor=s.system,
            )
        venues.append(site)
    return venues


def _reopening(s: Scenario, day: dt.date, index: int) -> None:
    """From 2022-05-21 property staff inspect the group's commercial venues against the reopening
    checklist (each venue twice a week); a failed point opens a rectification, re-inspected (and
    usually closed) on its deadline."""
    from baogong.command import actions
    from baogong.command.checklists import DEFAULT_TEMPLATE
    from baogong.command.models import ChecklistTemplate, Rectification

    first = min(REOPENING_FIRST_DAY, max(0, s.days - 2))
    if index < first:
        return
    inspector = s.user("property")
    for rectification in Rectification.objects.filter(status="open", deadline__lte=day).order_by("pk"):
        passed = s.rng.random() < 0.85
        actions.record_reinspection(
            rectification, on=day, is_compliant=passed, remark="" if passed else "整改未到位，继续整改", actor=inspector
        )
        s.outcome.reinspections += 1
    template = ChecklistTemplate.objects.filter(code=DEFAULT_TEMPLATE[0]).first()
    if template is None:
        return
    points = list(template.items.order_by("pk").values_list("code", flat=True))
    for n, venue in enumerate(_venues(s)):
        if (index - first + n) % 3:
            continue
        findings = []
        for point in points:
            ok = s.rng.random() < 0.9
            findings.append(
                actions.FindingInput(
                    item_code=point,
                    is_compliant=ok,
                    remark="" if ok else "现场检查发现未落实",
                    owner="" if ok else f"{venue.name}防疫专员",
                    deadline=None if ok else day + dt.timedelta(days=3),
                )
            )
        actions.record_inspection(venue, template, on=day, findings=findings, note="复商复市防疫检查", actor=inspector)
        s.outcome.inspections += 1
