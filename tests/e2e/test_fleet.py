"""The fleet in the browser: a dispatcher plans the next day (three shipments, two trucks), sees the
routes and the map, downloads a route sheet (a PDF listing the stops), accepts the plan, and the
system refuses to load the truck whose pass has expired, saying why; the fuel attendant of 凤凰加油站
works on a phone: a supply vehicle with a pass goes to the head of the queue and its sale is logged
against the pass."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from baogong.catalog import actions as catalog_actions
from baogong.core.audit import SystemActor
from baogong.core.tests.pdf import inflate_stream
from baogong.distribution import actions as distribution_actions
from baogong.distribution.actions import LineInput
from baogong.distribution.models import Shipment
from baogong.fleet import actions as fleet_actions
from baogong.fleet.models import FuelSale, PlannedRoute, RoutePlan
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs.models import AdministrativeArea, Organisation, Site
from tests.e2e.conftest import login, no_horizontal_scroll, shot

SYSTEM = SystemActor("e2e")
JOURNEY = "fleet"


def pdf_text(data: bytes) -> str:
    """The text of a WeasyPrint PDF (Type0 fonts with ToUnicode CMaps, hex glyph strings in TJ;
    objects possibly in compressed object streams) — enough to read what a route sheet says."""

    def stream(body: bytes) -> bytes:
        m = re.search(rb"stream\r?\n", body)
        if not m:
            return b""
        content = inflate_stream(body, m.end()) if b"/FlateDecode" in body else None
        if content is not None:
            return content
        raw = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
        return raw.group(1) if raw else b""

    objects = {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", data, re.S)}
    for body in list(objects.values()):
        if b"/Type /ObjStm" in body:
            first = int(re.search(rb"/First (\d+)", body).group(1))
            raw = stream(body)
            pairs = list(map(int, raw[:first].split()))
            offsets = list(zip(pairs[::2], pairs[1::2], strict=True))
            for i, (num, off) in enumerate(offsets):
                end = offsets[i + 1][1] if i + 1 < len(offsets) else len(raw) - first
                objects[num] = raw[first + off : first + end]
    cmaps = {}
    for num, body in objects.items():
        ref = re.search(rb"/ToUnicode (\d+) 0 R", body)
        if not ref:
            continue
        text = stream(objects[int(ref.group(1))])
        cmap = {}
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
            for src, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                cmap[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
            for lo, hi, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                for i, glyph in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    cmap[glyph] = chr(int(dst, 16) + i)
        cmaps[num] = cmap
    fonts = {}
    for body in objects.values():
        for name, num in re.findall(rb"/([\w.+-]+)\s+(\d+) 0 R", body):
            if int(num) in cmaps:
                fonts[name] = cmaps[int(num)]
    out = []
    for body in objects.values():
        content = stream(body)
        if b" Tf" not in content or b"BT" not in content:
            continue
        cmap: dict = {}
        for tok in re.finditer(rb"/([\w.+-]+)\s+[\d.]+\s+Tf|<([0-9a-fA-F]*)>|\b(ET|Tm|Td|TD|T\*)\b", content):
            if tok.group(1):
                cmap = fonts.get(tok.group(1), {})
            elif tok.group(2) is not None:
                h = tok.group(2).decode()
                out.append("".join(cmap.get(int(h[i : i + 4], 16), "") for i in range(0, len(h), 4)))
            else:
                out.append("\n" if tok.group(3) == b"ET" else " ")
    return "".join(out)


def route_card(page, plate):
    """The plan page's card of the route of ``plate`` (other cards name it in their move lists)."""
    return page.locator(".card", has=page.locator(".card-header strong", has_text=re.compile(f"^{plate}$")))


def given_three_shipments_from_taixingqiao():
    """Rice at 泰兴桥 allocated and planned as shipments to a field hospital, an elderly home and a
    hotel (750, 300 and 200 kg)."""
    rice = catalog_actions.create_item(
        {"code": "RICE", "name": "大米 25kg", "unit": "袋", "weight_kg": Decimal("25"), "volume_m3": Decimal("0.04")},
        actor=SYSTEM,
    )
    txq = Site.objects.get(code="WH-TXQ")
    inventory_actions.receive_stock(
        txq,
        [ReceiptLineInput(item=rice, batch="R1", qty=200, unit_cost=Decimal("60"))],
        actor=SYSTEM,
        qc_status="released",
    )
    needed = timezone.localdate() + dt.timedelta(days=2)
    for code, qty in [("FH-FCL", 30), ("EH-TY", 12), ("HT-WYN", 8)]:
        request = distribution_actions.file_request(
            Site.objects.get(code=code), [LineInput(item=rice, qty=qty, needed_by=needed)], actor=SYSTEM, submit=True
        )
        distribution_actions.approve_request(request, actor=SYSTEM)
    distribution_actions.confirm_allocation(distribution_actions.preview_allocation([txq], actor=SYSTEM), actor=SYSTEM)
    return distribution_actions.plan_shipments(actor=SYSTEM)


def given_two_trucks():
    """Two 1,000 kg trucks at 泰兴桥: 沪A10001 with a pass for Baoshan valid this fortnight, 沪A10002
    whose pass ended yesterday; a driver with a negative test this morning."""
    cygs = Organisation.objects.get(code="CYGS")
    txq = Site.objects.get(code="WH-TXQ")
    today = timezone.localdate()
    trucks = []
    for plate, number, valid_from, valid_until in [
        ("沪A10001", "310113000001", today - dt.timedelta(days=2), today + dt.timedelta(days=12)),
        ("沪A10002", "310113000002", today - dt.timedelta(days=15), today - dt.timedelta(days=1)),
    ]:
        truck = fleet_actions.create_vehicle(
            {
                "organisation": cygs,
                "plate": plate,
                "kind": "light_truck",
                "capacity_kg": 1000,
                "capacity_m3": "15.00",
                "capacity_cases": 200,
                "home_depot": txq,
            },
            actor=SYSTEM,
        )
        fleet_actions.register_pass(
            {
                "number": number,
                "vehicle": truck,
                "valid_from": valid_from,
                "valid_until": valid_until,
                "issuing_body": "宝山区交通委",
                "route_description": "宝山区内",
            },
            AdministrativeArea.objects.filter(code="310113"),
            actor=SYSTEM,
        )
        trucks.append(truck)
    from baogong.people import actions as people_actions

    person = people_actions.create_person({"kind": "staff", "name": "王师傅", "organisation": cygs}, actor=SYSTEM)
    people_actions.record_health_test(
        person, kind="pcr", result="negative", taken_at=timezone.now() - dt.timedelta(hours=3), actor=SYSTEM
    )
    driver = fleet_actions.create_driver(
        {
            "organisation": cygs,
            "name": "王师傅",
            "phone": "13800000001",
            "licence_number": "310113198001011234",
            "licence_class": "B2",
            "licence_expiry": today + dt.timedelta(days=800),
            "person": person,
        },
        actor=SYSTEM,
    )
    return trucks, driver


@pytest.mark.django_db(transaction=True)
def test_dispatcher_plans_tomorrow_prints_a_route_sheet_and_an_expired_pass_is_refused(base, live_server, new_page):
    shipments = given_three_shipments_from_taixingqiao()
    (good, expired), driver = given_two_trucks()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    # the dispatcher plans tomorrow from the open shipments with both trucks
    page = new_page()
    page.set_default_timeout(30_000)  # the shared machine is slow; no timing is asserted
    login(page, live_server.url, "dispatcher")
    page.goto(f"{live_server.url}/fleet/plans/new/")
    page.select_option("#id_organisation", str(Organisation.objects.get(code="CYGS").pk))
    page.fill("#id_date", tomorrow.isoformat())
    page.select_option("#id_vehicles", [str(good.pk), str(expired.pk)])
    assert page.is_checked("#id_from_shipments")
    page.fill("#id_time_limit_s", "2")
    shot(page, JOURNEY, "1-plan-form")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/fleet/plans/\d+/$"))
    plan = RoutePlan.objects.get()
    assert plan.date == tomorrow and plan.stops.count() == 3
    page.wait_for_selector("[role=progressbar]")
    shot(page, JOURNEY, "2-planning")

    # the background worker solves it (the page polls and shows the routes)
    call_command("worker", "--batch", "--no-schedule")
    plan.refresh_from_db()
    assert plan.status == "planned"
    page.wait_for_selector("#plan-map canvas")
    routes = {r.vehicle.plate: r for r in PlannedRoute.objects.filter(plan=plan).select_related("vehicle")}
    assert set(routes) == {"沪A10001", "沪A10002"}  # 1,250 kg need both 1,000 kg trucks
    body = page.inner_text("main")
    for shipment in shipments:
        assert shipment.recipient.name in body

    # the expired truck's route says loading is refused, and why
    card = route_card(page, "沪A10002")
    expiry = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    card_text = card.inner_text()
    assert "禁止装车" in card_text and "310113000002" in card_text and expiry in card_text

    # a driver is assigned to the good truck through the page
    good_card = route_card(page, "沪A10001")
    good_card.locator("select[name=driver]").select_option(str(driver.pk))
    good_card.locator("form[action$='/driver/'] button").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.card-header')].some("
        "h => h.innerText.includes('沪A10001') && h.innerText.includes('王师傅'))"
    )
    shot(page, JOURNEY, "3-routes-and-map")

    # the route sheet is a PDF listing the good truck's stops with their delivery notes
    route = routes["沪A10001"]
    href = f"/fleet/routes/{route.pk}/sheet.pdf"
    assert page.locator(f"a[href='{href}']").count() == 1
    response = page.request.get(live_server.url + href, timeout=120_000)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    stops = list(route.stops.select_related("site").order_by("position"))
    assert stops
    for stop in stops:
        assert stop.site.name in text and stop.reference in text
    assert "沪A10001" in text and "王师傅" in text

    # accepting the plan writes trucks and driver to the shipments
    page.click("form[action$='/accept/'] button")
    page.wait_for_selector("#plan-status")
    plan.refresh_from_db()
    assert plan.status == "accepted"
    for stop in plan.stops.select_related("route__vehicle"):
        shipment = Shipment.objects.get(pk=stop.shipment_id)
        assert shipment.vehicle_plate == stop.route.vehicle.plate
        assert shipment.driver_name == ("王师傅" if stop.route.vehicle.plate == "沪A10001" else "")

    # the keeper has picked a shipment of the expired truck; loading it is refused with the reason
    refused = Shipment.objects.filter(vehicle_id=expired.pk).order_by("pk").first()
    distribution_actions.pick_shipment(refused, actor=SYSTEM)
    page.goto(f"{live_server.url}/distribution/shipments/{refused.pk}/")
    page.click("button[name=step][value=load]")
    page.wait_for_selector(".alert-danger, .alert-error")
    message = page.inner_text("main")
    assert "310113000002" in message and expiry in message
    shot(page, JOURNEY, "4-load-refused")
    refused.refresh_from_db()
    assert refused.status == "picked"


@pytest.mark.django_db(transaction=True)
def test_fuel_attendant_serves_a_supply_vehicle_first_on_a_phone(base, live_server, new_page):
    (supply, _expired), _driver = given_two_trucks()
    station = Site.objects.get(code="FS-FH")
    diesel = catalog_actions.create_item({"code": "FUEL-0D", "name": "0号柴油", "unit": "L"}, actor=SYSTEM)
    tank = fleet_actions.create_tank(
        station, diesel, code="T1", capacity_litres=20000, low_level_litres=2000, actor=SYSTEM
    )
    fleet_actions.receive_fuel(tank, 8000, Decimal("7.20"), reference="中石化-0420", actor=SYSTEM)

    page = new_page(phone=True)
    page.set_default_timeout(30_000)
    login(page, live_server.url, "fuel")
    page.goto(f"{live_server.url}/fleet/stations/{station.pk}/")
    page.wait_for_selector("main >> text=凤凰加油站")
    # a private car arrives first, then the supply truck with its pass
    for plate in ("沪C55555", supply.plate):
        page.fill("#arr-plate", plate)
        page.click("form[action$='/arrival/'] button")
        page.wait_for_selector(f"ol li:has-text('{plate}')")
    queue = page.locator("ol li")
    assert supply.plate in queue.nth(0).inner_text() and "绿色通道" in queue.nth(0).inner_text()
    assert "沪C55555" in queue.nth(1).inner_text()
    assert no_horizontal_scroll(page)
    shot(page, JOURNEY, "5-fuel-queue-phone")

    # the attendant logs the supply truck's sale
    sale_form = page.locator("form[action$='/sale/']")
    sale_form.locator("[name=tank]").select_option(str(tank.pk))
    sale_form.locator("[name=plate]").fill(supply.plate)
    sale_form.locator("[name=litres]").fill("80")
    sale_form.locator("[name=unit_price]").fill("7.89")
    sale_form.locator("button").click()
    page.wait_for_selector("table tbody tr:has-text('310113000001')")
    sale = FuelSale.objects.get()
    assert (sale.plate, sale.litres, sale.amount, sale.green_channel) == (supply.plate, 80, Decimal("631.20"), True)
    assert sale.vehicle_pass.number == "310113000001" and sale.seller.username == "fuel"
    assert no_horizontal_scroll(page)
    shot(page, JOURNEY, "6-fuel-sale-phone")
