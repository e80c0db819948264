"""Each day of the replay: requests, procurement, allocation and shipping, delivery, health, pharmacy, costs, posts; and the finish."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from baogong.core.errors import DomainError
from baogong.demo.scenario import (
    CARE_SITES,
    CASE_ITEMS,
    HOSPITALS,
    SHANGHAI,
    START,
)
from baogong.demo.steps import figures, giving, lodging, people, routes, scarcity
from baogong.demo.steps._common import (
    COUNTERFEIT_SUPPLIER,
    FAKE_AG,
    GENUINE_AG,
    LONG_HAUL_TRUCK,
    SUPPLIERS,
    WAREHOUSE,
    _driver_name,
    _truck,
)
from baogong.demo.steps.extra import _farm_and_industry, _fuel, _reopening
from baogong.demo.steps.relief import _relief, _review

if TYPE_CHECKING:
    from baogong.demo.scenario import Scenario


# --- each day ----------------------------------------------------------------------------------
def replay_day(s: Scenario, day: dt.date, index: int) -> None:
    with s.at(day, 3):
        _fuel(s, day, index, 3)
    with s.at(day, 7):
        _health(s, day, index)
        _driver_tests(s, day, index)
        people.week(s, day, index)
        lodging.morning(s, day, index)
    with s.at(day, 8):
        _procure(s, day, index)
        giving.donations(s, day, index)
    with s.at(day, 10):
        _requests(s, day, index)
        _farm_and_industry(s, day, index)
        giving.requests(s, day, index)
    with s.at(day, 11):
        _fuel(s, day, index, 11)
    with s.at(day, 13):
        _allocate_and_ship(s, day, index)
    with s.at(day, 15):
        _reopening(s, day, index)
        lodging.afternoon(s, day, index)
    with s.at(day, 16):
        _deliver(s, day, index)
    if index in OUTBREAKS:
        with s.at(day, 17):
            _playbook(s, day, OUTBREAKS[index])
    with s.at(day, 20):
        _fuel(s, day, index, 20)
        lodging.evening(s, day, index)
    with s.at(day, 18):
        _pharmacy_orders(s, day, index)
        figures.book_costs(s, day, index)
        figures.publish(s, day, index)
        _relief(s, day, index)


def _requests(s: Scenario, day: dt.date, index: int) -> None:
    """Requests from the demand model (:mod:`.scarcity`): people in need × per-head norm."""
    from baogong.catalog.models import Item
    from baogong.distribution import actions
    from baogong.orgs.models import Site

    items = {i.code: i for i in Item.objects.filter(code__startswith="SC-")}
    per = scarcity.norms()
    offices = list(Site.objects.filter(kind__in=["street_office", "government_bureau"]).order_by("code"))
    # Streets/towns and bureaus ask every third day (a third of them each day) for three days,
    # hospitals every other day, care sites weekly.
    todays = [o for n, o in enumerate(offices) if (n + index) % 3 == 0]
    todays += [s.site(c) for c in HOSPITALS if index % 2 == 0] + [s.site(c) for c in CARE_SITES if index % 7 == 0]
    commander = s.user("commander")
    surging = scarcity.surging_areas(day)  # filing requests records no test: one read for the day
    for recipient in todays:
        wanted = scarcity.demand(s, recipient, index, day, per, surging)
        if not wanted:
            continue
        lines = [
            actions.LineInput(item=items[code], qty=qty, needed_by=day + dt.timedelta(days=1)) for code, qty in wanted
        ]
        request = actions.file_request(recipient, lines, actor=commander, submit=True, note="每日防疫物资需求")
        actions.approve_request(request, actor=commander)
        s.outcome.requests += 1
        s.outcome.request_lines += len(lines)


def _procure(s: Scenario, day: dt.date, index: int) -> None:
    """Every third day the purchaser orders the forecast of the next three days plus every known
    shortfall; suppliers deliver late and short in the first weeks (:func:`.scarcity.supplier_terms`).
    Deliveries due today are received, inspected and released (or rejected: counterfeit)."""
    from baogong.catalog.models import Item
    from baogong.procurement import actions
    from baogong.procurement.models import Supplier

    _receive_due(s, day, index)
    if index % scarcity.ORDER_EVERY:
        return
    # The district programme was bought for the 泰兴桥 warehouse (储运公司) on the command centre's
    # behalf: the requisition is raised by the scenario's system actor (only a group-wide actor may
    # buy for 北翼集团 into a 储运公司 warehouse), so that the commander, who holds the approval level
    # of orders over ¥200,000 once bootstrap has loaded the procurement demo, is not approving their
    # own requisition.
    officer = s.system
    commander = s.user("commander")
    warehouse = s.site(WAREHOUSE)
    suppliers = {sp.name: sp for sp in Supplier.objects.filter(name__in=[n for n, _c, _l in SUPPLIERS])}
    forecast = scarcity.forecast_all(s, index)
    for n, (code, _name, _cat, _unit, _pq, _pu, price, _kg, _m3, _weight) in enumerate(CASE_ITEMS):
        item = Item.objects.get(code=code)
        supplier_name = SUPPLIERS[(index // 2 + n) % 2][0]
        counterfeit_round = code == "SC-AG-CASE" and index in (3, 9)
        if counterfeit_round:
            supplier_name = COUNTERFEIT_SUPPLIER
        supplier = suppliers[supplier_name]
        if supplier.status != "approved":
            supplier = suppliers[SUPPLIERS[0][0]]
        qty = max(1, round(forecast[code] + s.shortfall.pop(code, 0)))
        # The dubious supplier had "stock on hand" at once; the others deliver late and short.
        late, share = (0, 1.0) if counterfeit_round else scarcity.supplier_terms(s, index, "江苏" not in supplier_name)
        order = actions.create_order(
            supplier.organisation,
            supplier,
            [
                actions.OrderLineInput(
                    item=item,
                    qty=qty,
                    unit_price=Decimal(price),
                    delivery_date=day + dt.timedelta(days=1),
                    warehouse=warehouse,
                )
            ],
            actor=officer,
        )
        order = actions.submit_order(
            order, actor=officer, emergency=index < 6, emergency_reason="封控初期紧急采购" if index < 6 else ""
        )
        while order.status == "pending_approval":
            order = actions.approve_order(order, actor=commander)
        s.outcome.ordered_cases += qty
        s.pipeline.append((index + late, order.pk, share, n))
    _receive_due(s, day, index)


def _receive_due(s: Scenario, day: dt.date, index: int) -> None:
    from baogong.procurement import actions
    from baogong.procurement.models import PurchaseOrder

    due = [p for p in s.pipeline if p[0] <= index]
    s.pipeline = [p for p in s.pipeline if p[0] > index]
    qc = s.user("commander")
    officer = s.system
    for _due, order_id, share, _n in due:
        order = PurchaseOrder.objects.select_related("supplier").get(pk=order_id)
        line = order.lines.select_related("item").get()
        code = line.item.code
        supplier_name = order.supplier.name
        received = max(1, int(line.qty * share))
        batch = f"{code[3:7]}{day:%m%d}{order.pk:04d}"
        fake = supplier_name == COUNTERFEIT_SUPPLIER and index == 9
        [receipt] = actions.receive_against_order(
            order,
            [
                actions.ReceiveLineInput(
                    line=line,
                    qty=received,
                    batch=batch,
                    production_date=day - dt.timedelta(days=15),
                    expiry=day + dt.timedelta(days=700),
                )
            ],
            actor=officer,
        )
        s.outcome.received_cases += received
        if received < line.qty:
            s.shortfall[code] = s.shortfall.get(code, 0) + line.qty - received
            s.outcome.supplier_shortfall_cases += line.qty - received
        if day > line.delivery_date:
            s.outcome.late_deliveries += 1
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
            earlier = _earlier_lot(order.supplier, line.item)
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
    """Allocate from the warehouses that are normal; a warehouse under control, locked down or
    closed is re-planned (重新调配: its open supply re-sourced from the others) and ships nothing."""
    from baogong.distribution import actions
    from baogong.distribution.models import Shipment
    from baogong.fleet.models import Driver, Vehicle
    from baogong.orgs.models import Site

    commander = s.user("commander")
    warehouses = list(
        Site.objects.filter(kind="warehouse", is_active=True, lat__isnull=False, lon__isnull=False).order_by("code")
    )
    normal = [w for w in warehouses if w.status == "normal"]
    for warehouse in warehouses:
        if warehouse.status != "normal":
            try:
                done = actions.replan_warehouse(warehouse, actor=commander)
                s.outcome.notes.append(
                    f"{day}: {warehouse.name} 重新调配 / re-planned: {done.moved_units} moved, {done.short_units} short"
                )
            except DomainError:
                pass  # nothing open there
    if not normal:
        return
    # One bad record never stops the replay: requests set aside by the run (a recipient without
    # coordinates) and a refused run are reported, and the day goes on.
    try:
        run = actions.preview_allocation(normal, actor=commander)
        for entry in run.summary.get("set_aside", []):
            s.outcome.set_aside.append(f"{day} {entry['request']} {entry['recipient']}: {entry['reason']}")
        if run.summary.get("allocated"):
            actions.confirm_allocation(run, actor=commander)
        else:
            actions.discard_allocation(run, actor=commander)
    except DomainError as exc:
        s.outcome.refused_allocations.append(f"{day}: {exc.message} {exc.details}")
    vehicles = dict(Vehicle.objects.values_list("plate", "pk"))
    drivers = dict(Driver.objects.filter(organisation__code="CYGS").values_list("name", "pk"))
    # Shipments held back by an earlier refusal (a site locked down) are tried again first.
    held = list(Shipment.objects.filter(warehouse__in=normal, status__in=["picked", "loaded"]).order_by("pk"))
    planned = actions.plan_shipments(actor=commander, warehouses=normal)
    # the 泰兴桥 keeper and the 储运 dispatcher work their own warehouse; the command centre the others
    picked: list[int] = []
    for ours in (True, False):
        group = [sh for sh in planned if (sh.warehouse.code == WAREHOUSE) == ours]
        if not group:
            continue
        try:
            actions.pick_shipments(group, actor=s.user("warehouse") if ours else commander)
        except DomainError as exc:
            s.outcome.refused_dispatches.extend(f"{day} {sh.recipient.code}: {exc.message}" for sh in group)
            continue
        picked.extend(sh.pk for sh in group)
    fresh = Shipment.objects.select_related("warehouse", "recipient__area")
    todays = [*held, *fresh.filter(pk__in=picked).order_by("pk")]
    # the day's route plan chooses truck and driver for the 泰兴桥 shipments (:mod:`.routes`)
    routed = routes.plan_day(s, day, [sh for sh in todays if sh.status == "picked"])
    transport: dict[int, tuple[int | None, int | None]] = {}
    for n, shipment in enumerate(todays):
        if shipment.status != "loaded" and shipment.pk not in routed:
            far = shipment.recipient.area is not None and shipment.recipient.area.level == "other"
            transport[shipment.pk] = (
                vehicles.get(LONG_HAUL_TRUCK if far else _truck(n)),
                drivers.get(_driver_name(n)),
            )
    for ours in (True, False):
        group = [sh for sh in todays if (sh.warehouse.code == WAREHOUSE) == ours]
        if group:
            _ship(s, day, group, s.user("dispatcher") if ours else commander, transport)


def _ship(s: Scenario, day: dt.date, group: list[Any], dispatcher: Any, transport: dict[int, Any]) -> None:
    """Load and dispatch a group of shipments at once (``ship_shipments``); the refused are held
    and noted. Bad transport refuses the batch: then each shipment alone, so one bad record is
    reported and skipped."""
    from baogong.distribution import actions

    try:
        result = actions.ship_shipments(group, actor=dispatcher, transport=transport)
    except DomainError:
        for shipment in group:
            try:
                result = actions.ship_shipments([shipment], actor=dispatcher, transport=transport)
            except DomainError as exc:
                s.outcome.refused_dispatches.append(f"{day} {shipment.recipient.code}: {exc.message}")
                continue
            _count(s, day, result)
        return
    _count(s, day, result)


def _count(s: Scenario, day: dt.date, result: Any) -> None:
    s.outcome.shipments += len(result.dispatched)
    for shipment, reasons in result.held:
        s.outcome.refused_dispatches.append(f"{day} {shipment.recipient.code}: {' '.join(reasons)}")


def _deliver(s: Scenario, day: dt.date, index: int) -> None:
    """The day's shipments in transit arrive (3% of lines over 5 units a unit short): every proof
    of delivery recorded at once, then the shipments closed at once."""
    from baogong.distribution import actions
    from baogong.distribution.models import Shipment, ShipmentLine

    shipments = list(Shipment.objects.filter(status="in_transit").select_related("recipient").order_by("pk"))
    if not shipments:
        return
    lines_of: dict[int, list[Any]] = {}
    found = ShipmentLine.objects.filter(shipment__in=shipments).order_by("shipment_id", "pk")
    for line in found.values_list("shipment_id", "pk", "qty", "item__code", named=True):
        lines_of.setdefault(line.shipment_id, []).append(line)
    deliveries = []
    for shipment in shipments:
        shipped = lines_of.get(shipment.pk, [])
        lines = []
        for line in shipped:
            # the gifts' and 华森's lines draw from steps.giving's generator, so they move no other figure
            rng = giving.rng_for_item(s, line.item__code)
            short = 1 if rng.random() < 0.03 and line.qty > 5 else 0
            lines.append(actions.DeliveryLineInput(line_id=line.pk, received=line.qty - short))
        deliveries.append(
            actions.DeliveryInput(
                shipment,
                lines,
                received_by=f"{shipment.recipient.name}收货员",
                receiver_phone="13600000000",
                client_token=f"scenario-{shipment.pk}",
                reason="到货短少"
                if any(line.received < ln.qty for line, ln in zip(lines, shipped, strict=True))
                else "",
            )
        )
        s.outcome.delivered_units += sum(line.received for line in lines)
    done = actions.record_deliveries(deliveries, actor=s.system)
    # the 储运 dispatcher closes 泰兴桥's shipments; the command centre those of other warehouses
    for ours in (True, False):
        group = [sh for sh in done if (sh.warehouse.code == WAREHOUSE) == ours]
        if group:
            actions.close_shipments(group, actor=s.user("dispatcher") if ours else s.user("commander"))


def _health(s: Scenario, day: dt.date, index: int) -> None:
    """Outbreaks where the article puts them ("农资合作社、医药公司物资仓库、月浦养老院爆阳"): the
    pharmaceutical company's warehouse (day 10), the farm cooperative (day 20) and the elderly home
    (day 25). The positive test opens the incident and puts the site under control (people's
    outbreak rules); that afternoon the site's playbook is worked through (:func:`_playbook`); each
    person recovers after a week of negative tests."""
    from django.db.models import Q

    from baogong.people import actions
    from baogong.people.models import CloseContact, Person

    events = OUTBREAKS
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


# day index → site of an outbreak (the article's three)
OUTBREAKS = {9: "WH-YY", 19: "FC-NZ", 24: "EH-TY"}
PLAYBOOK_NOTES = {
    "site_status": "按自动管控执行，入口张贴管控告示",
    "disinfection": "公共区域、重点部位及货品外包装终末消杀，已记录",
    "stock_check": "病例经手货品单独存放，消杀前不出库",
    "contacts": "同班次、同区域人员已列出并隔离检测",
    "residents_care": "老人每日测温问询，送餐送药，心理疏导",
    "closed_loop_staffing": "闭环内人员顶岗，保供岗位不空缺",
    "farm_work": "替班人员按时播种、配送农资，不误农时",
    "re_sourcing": "未发运物资改由其他仓库调配",
    "notify_recipients": "已通知受影响的收货单位",
}


def _playbook(s: Scenario, day: dt.date, site_code: str) -> None:
    """The afternoon of a positive test, once the day's re-plan has run: the incident's playbook
    (处置清单) worked through, step by step, by the command centre. A step refused (already done) is
    noted and skipped."""
    from baogong.command import actions as command
    from baogong.command.playbooks import step_codes
    from baogong.command.queries import playbook_kind_of
    from baogong.people.models import Incident

    site = s.site(site_code)
    incident = Incident.objects.filter(site=site).order_by("-pk").first()
    if incident is None:
        s.outcome.notes.append(f"{day}: {site.name} 无事件 / no incident")
        return
    for code in step_codes(playbook_kind_of(incident)):
        try:
            command.complete_playbook_step(incident, code, note=PLAYBOOK_NOTES.get(code, ""), actor=s.user("commander"))
        except DomainError as exc:
            s.outcome.notes.append(f"{day}: {site.name} {code}: {exc.message}")
            continue
        s.outcome.playbook_steps += 1


def _driver_tests(s: Scenario, day: dt.date, index: int) -> None:
    """The registered drivers take a PCR test each morning before loading (a positive or a close
    contact among them is refused at load and at dispatch until cleared)."""
    from baogong.fleet.models import Driver
    from baogong.people import actions

    for driver in Driver.objects.filter(person__isnull=False, is_active=True).select_related("person").order_by("pk"):
        assert driver.person is not None
        try:
            actions.record_health_test(
                driver.person,
                kind="pcr",
                result="negative",
                taken_at=dt.datetime.combine(day, dt.time(6, 30), tzinfo=SHANGHAI),
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
    areas = list(AdministrativeArea.objects.filter(level__in=["street", "town"]).order_by("code"))
    pharmacist = s.user("pharmacist")
    placed: list[Any] = []
    for n in range(6):
        drug = drugs[(index + n) % len(drugs)]
        area = areas[(index * 7 + n) % len(areas)]
        try:
            placed.extend(
                actions.place_order(
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
            )
        except DomainError as exc:
            s.outcome.notes.append(f"{day}: 药店订单 {exc.message}")
    payments = [
        actions.SettleInput(
            order,
            method="insurance",
            transaction_number=f"YB{order.pk:010d}",
            current_year=Decimal("200.00"),
            prior_years=Decimal("500.00"),
        )
        for order in _passed(s, day, actions.approve_orders(placed, actor=pharmacist))
    ]
    settled = _passed(s, day, actions.settle_orders(payments, actor=pharmacist))
    out = _passed(s, day, actions.dispatch_orders([st.order for st in settled], pharmacist, actor=pharmacist))
    handovers = [(order, order.handover_code) for order in out]
    s.outcome.pharmacy_orders += len(_passed(s, day, actions.confirm_deliveries(handovers, actor=pharmacist)))


def _passed(s: Scenario, day: dt.date, results: list[Any]) -> list[Any]:
    """The orders a batch action passed; its refusals noted."""
    for result in results:
        if isinstance(result, DomainError):
            s.outcome.notes.append(f"{day}: 药店订单 {result.message}")
    return [r for r in results if not isinstance(r, DomainError)]


def finish(s: Scenario) -> None:
    """Close the books: review what is left, top up relief granted under the first policy to the
    second's six months, and claim the field-hospital costs from the funder."""
    from baogong.finance import actions as finance
    from baogong.finance.models import Mission
    from baogong.property import actions as property_actions
    from baogong.property.models import Policy

    scarcity.summarise(s)
    commander = s.user("commander")
    _review(s, s.today() + dt.timedelta(days=1))
    later = Policy.objects.filter(code="sh-2022-05").first()
    if later is not None and s.days >= 59:
        property_actions.top_up_relief(later, actor=commander)
    # the last, short week, dated its last day (inside the replayed period)
    figures.book_costs(s, START + dt.timedelta(days=s.days - 1), s.days - 1, final=True)
    for mission in Mission.objects.filter(code__in=["M-FH-FCL", "M-FH-MPL"]).order_by("code"):
        lines = list(mission.cost_lines.filter(status="approved", claim__isnull=True))
        if lines:
            claim = finance.create_claim(mission, lines, actor=commander)
            finance.submit_claim(claim, on=s.today(), actor=commander)
    giving.drill(s)
