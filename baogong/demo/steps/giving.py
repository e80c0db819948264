"""What partners gave and what the group served beyond the district programme (issue 21, point 3):
donations from partner cooperatives, food to tenants and work sites, 华森's customer orders.

- **Donations** ("各合作单位、兄弟供销社……有的为我们捐赠粮食蔬菜"): from 04-05 to 05-10 each partner
  cooperative gives on a day with probability ``P_DONATE`` × (0.3 + 0.7 × case curve): rice,
  edible oil and vegetable packs in the quantities of ``GIFTS`` (×0.6–1.4), received at 北翼集团配送仓
  as pending lots at no cost (inventory ``receive_stock``). QC inspects each lot the same morning
  (``set_lot_qc_status``): released, or — vegetable packs that arrived spoiled, with probability
  ``P_SPOILED`` — rejected and never issued.
- **Distributed**: the donated food is what the lodging sites, the group's market tenants and the
  work sites ask for (``FOOD_RECIPIENTS``, every other day, ``FOOD_WANTED`` × 0.7–1.3 per item);
  the daily allocation serves their requests from released stock like any other (tiers: the care
  sites first, tenants and work sites after), and the day's shipments carry it.
  ("我们也为物资告急的租赁客户、第三方公司、项目工地等送去了食品")
- **华森's orders** ("华森公司……确保订单能够及时交付"): every third day 华森's production (cartons)
  comes into 北翼集团配送仓 and its customer's order is filed, allocated and shipped the same day,
  as the southern company's ferrochrome for POSCO is (``steps.extra``).

Draws come from a random generator of their own, so this model moves no other figure.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from baogong.core.errors import DomainError
from baogong.core.retry import retry_on_conflict
from baogong.demo.steps import scarcity

if TYPE_CHECKING:
    from baogong.demo.scenario import Scenario

FOOD_WAREHOUSE = "WH-BY"
PARTNERS = [
    "崇明区供销合作总社",
    "嘉定区供销合作总社",
    "江苏太仓市供销合作总社",
    "上海农产品中心批发市场经营管理有限公司",
]
P_DONATE = 0.35
P_SPOILED = 0.05
DONATION_DAYS = range(4, 40)  # 04-05 … 05-10
# item code → units a gift brings on average
GIFTS = {"RICE-10": 200, "OIL-5L": 60, "VEG-PACK-8": 300}
# recipients of food: (code, name, kind, organisation, area); the care sites exist already
FOOD_SITES = [
    ("TN-SC-WS", "供销农贸市场承租商户(吴淞)", "commercial_venue", "BYJT", "310113007"),
    ("WS-BY-DC", "北翼集团大场项目工地", "delivery_point", "BYJT", "310113102"),
    ("DP-3P-YX", "合作物流公司杨行仓(第三方公司)", "delivery_point", "BYJT", "310113103"),
]
FOOD_RECIPIENTS = ["IP-HKL", "HT-WYN", "EH-TY", "TN-SC-WS", "WS-BY-DC", "DP-3P-YX"]
FOOD_WANTED = {"RICE-10": 30, "OIL-5L": 8, "VEG-PACK-8": 45}
HUASEN_ITEM = ("HS-CARTON", "五层瓦楞纸箱(托)", "托", "1800.00", "250", "1.6")
HUASEN_CUSTOMER = ("CU-HS-LD", "华森公司客户罗店食品厂", "HS-LDSP", "上海罗店食品有限公司", "310113101")
HUASEN_PALLETS = (8, 16)


def _rng(s: Scenario) -> random.Random:
    if s.giving_rng is None:
        s.giving_rng = random.Random(s.seed * 2003 + 21)  # noqa: S311 - a deterministic simulation
    return s.giving_rng


def rng_for_item(s: Scenario, item_code: str) -> random.Random:
    """The generator for a draw about a line of ``item_code``: this model's own for its items."""
    return _rng(s) if item_code in GIFTS or item_code == HUASEN_ITEM[0] else s.rng


@retry_on_conflict
def set_up(s: Scenario) -> None:
    """Before the first day: the food recipients' sites, 华森's customer and its carton item."""
    from baogong.catalog import actions as catalog
    from baogong.catalog.models import Item
    from baogong.orgs import actions as orgs
    from baogong.orgs.models import AdministrativeArea, Organisation, Site

    areas = {a.code: a for a in AdministrativeArea.objects.filter(level__in=["street", "town"])}
    code, name, org_code, org_name, area_code = HUASEN_CUSTOMER
    if not Organisation.objects.filter(code=org_code).exists():
        with transaction.atomic(durable=True):
            orgs.add_organisation(
                {"code": org_code, "name": org_name, "short_name": "罗店食品", "kind": "external"}, actor=s.system
            )
    wanted = [*FOOD_SITES, (code, name, "customer", org_code, area_code)]
    for site_code, site_name, kind, org, area_code in wanted:
        if Site.objects.filter(code=site_code).exists():
            continue
        area = areas[area_code]
        orgs.create_site(
            {
                "code": site_code,
                "name": site_name,
                "kind": kind,
                "organisation": Organisation.objects.get(code=org),
                "area": area,
                "address": f"{area.name}{site_name[-4:]}",
                "lat": area.lat,
                "lon": area.lon,
            },
            actor=s.system,
        )
    s.forget_users()  # new sites: the accounts' cached scopes are read again
    item_code, item_name, unit, price, kg, m3 = HUASEN_ITEM
    if not Item.objects.filter(code=item_code).exists():
        catalog.create_item(
            {
                "code": item_code,
                "name": item_name,
                "category": None,
                "unit": unit,
                "pack_qty": 1,
                "weight_kg": Decimal(kg),
                "volume_m3": Decimal(m3),
                "reference_price": Decimal(price),
            },
            actor=s.system,
            price_source="2022年4月出厂价",
        )


def donations(s: Scenario, day: dt.date, index: int) -> None:
    """08:00: the day's gifts received at the food warehouse and inspected by QC."""
    from baogong.catalog.models import Item
    from baogong.inventory.actions import ReceiptLineInput, receive_stock, set_lot_qc_status

    if index not in DONATION_DAYS:
        return
    rng = _rng(s)
    items = {i.code: i for i in Item.objects.filter(code__in=list(GIFTS))}
    if len(items) < len(GIFTS):
        return
    warehouse = s.site(FOOD_WAREHOUSE)
    qc = s.user("qc")
    for n, partner in enumerate(PARTNERS):
        if rng.random() >= P_DONATE * (0.3 + 0.7 * scarcity.cases(index)):
            continue
        lines = [
            ReceiptLineInput(
                item=items[code],
                batch=f"JZ{day:%m%d}{n}{k}",
                qty=max(1, round(units * rng.uniform(0.6, 1.4))),
                unit_cost=Decimal("0"),
                expiry=day + dt.timedelta(days=items[code].shelf_life_days or 365),
            )
            for k, (code, units) in enumerate(GIFTS.items())
        ]
        try:
            receipt = receive_stock(
                warehouse,
                lines,
                actor=s.user("commander"),
                reference=f"捐赠-{day:%Y%m%d}-{n + 1}",
                qc_status="pending",
                supplier_name=partner,
            )
        except DomainError as exc:
            s.outcome.notes.append(f"{day}: 捐赠入库 / donation receipt {partner}: {exc.message}")
            continue
        lots = [received.lot for received in receipt.lines.select_related("lot").order_by("pk")]
        for line, lot in zip(lines, lots, strict=True):
            spoiled = line.item.code == "VEG-PACK-8" and rng.random() < P_SPOILED
            try:
                set_lot_qc_status(
                    lot,
                    "rejected" if spoiled else "released",
                    reason="部分蔬菜腐烂变质，整批拒收" if spoiled else "捐赠物资验收：标签、保质期、外观合格",
                    actor=qc,
                )
            except DomainError as exc:
                s.outcome.notes.append(f"{day}: 捐赠验收 / donation QC {lot.batch}: {exc.message}")
                continue
            if spoiled:
                s.outcome.donations_rejected += line.qty
            else:
                s.outcome.donations_received += line.qty


def requests(s: Scenario, day: dt.date, index: int) -> None:
    """10:00: food asked for by the lodging sites, the market tenants and the work sites (every
    other day while donations last); 华森's customer order every third day."""
    from baogong.catalog.models import Item
    from baogong.distribution import actions
    from baogong.inventory.actions import ReceiptLineInput, receive_stock

    rng = _rng(s)
    commander = s.user("commander")
    if index in DONATION_DAYS and index % 2 == 1:
        items = {i.code: i for i in Item.objects.filter(code__in=list(FOOD_WANTED))}
        for code in FOOD_RECIPIENTS:
            lines = [
                actions.LineInput(
                    item=items[item],
                    qty=max(1, round(qty * rng.uniform(0.7, 1.3))),
                    needed_by=day + dt.timedelta(days=1),
                )
                for item, qty in FOOD_WANTED.items()
                if item in items
            ]
            try:
                request = actions.file_request(
                    s.site(code), lines, actor=commander, submit=True, note="食品保障(捐赠物资)"
                )
                actions.approve_request(request, actor=commander)
            except DomainError as exc:
                s.outcome.notes.append(f"{day}: 食品需求 / food request {code}: {exc.message}")
                continue
            s.outcome.food_requests += 1
            s.outcome.requests += 1
    if index % 3 == 1:
        item_code, _name, _unit, price, _kg, _m3 = HUASEN_ITEM
        item = Item.objects.filter(code=item_code).first()
        if item is None:
            return
        pallets = rng.randint(*HUASEN_PALLETS)
        try:
            receive_stock(
                s.site(FOOD_WAREHOUSE),
                [ReceiptLineInput(item=item, batch=f"HS{day:%m%d}", qty=pallets, unit_cost=Decimal(price))],
                actor=commander,
                reference=f"HSGS-{day:%Y%m%d}",
                supplier_name="上海华森实业有限公司",
            )
            request = actions.file_request(
                s.site(HUASEN_CUSTOMER[0]),
                [actions.LineInput(item=item, qty=pallets, needed_by=day + dt.timedelta(days=2))],
                actor=commander,
                submit=True,
                note="华森公司客户订单(保生产、保交付)",
            )
            actions.approve_request(request, actor=commander)
        except DomainError as exc:
            s.outcome.notes.append(f"{day}: 华森订单 / Huasen order: {exc.message}")
            return
        s.outcome.huasen_orders += 1
        s.outcome.requests += 1


def drill(s: Scenario) -> None:
    """At the end: the command centre runs a drill on the replay's own data — 泰兴桥 locked down
    for the last three days — and saves it: ``start_drill`` queues it, and the replay runs the
    queued job's body here (``run_drill_job``, as the worker would), which records the result on
    the drill. A refused drill is noted."""
    from baogong.command import actions as command
    from baogong.command.tasks import run_drill_job

    last = s.today() - dt.timedelta(days=3)
    try:
        saved = command.start_drill(
            {"from": last.isoformat(), "days": 3, "seed": s.seed, "lockdown": "WH-TXQ"},
            actor=s.user("commander"),
            title="回放结束演练：泰兴桥大仓封控3天",
        )
        run_drill_job.call(str(saved.job_id), saved.pk)
    except DomainError as exc:
        s.outcome.notes.append(f"演练 / drill: {exc.message}")
        return
    s.outcome.drill = saved.title
