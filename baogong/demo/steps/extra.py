"""Fuel stations, farm and industry inputs, the far-away customer, reopening inspections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from baogong.core.errors import DomainError
from baogong.demo.scenario import (
    FARM_ITEMS,
    FUEL_GRADES,
    FUEL_STATIONS,
    INDUSTRIAL_ITEM,
    SHANGHAI,
    VENUES,
)
from baogong.demo.steps._common import WAREHOUSE, _attendant, _truck

if TYPE_CHECKING:
    from baogong.demo.scenario import Scenario


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
        sales = []
        for n, ticket in enumerate(waiting_queue(station)):
            diesel = ticket.green_channel
            litres = s.rng.randint(80, 160) if diesel else s.rng.randint(30, 50)
            tank = tanks["DIESEL-0" if diesel else "GASOLINE-92"]
            sales.append(
                actions.SaleInput(
                    tank,
                    ticket.plate,
                    litres,
                    prices[tank.item.code],
                    ticket=ticket,
                    at=start + dt.timedelta(minutes=10 + 8 * n),
                )
            )
        for sale in actions.sell_fuel_many(station, sales, actor=attendant):
            if isinstance(sale, DomainError):
                raise sale
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
            s.forget_users()  # a new site: the accounts' cached scopes are read again
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
    venues = _venues(s)  # first: a new venue refreshes the accounts' scopes
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
    for n, venue in enumerate(venues):
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
