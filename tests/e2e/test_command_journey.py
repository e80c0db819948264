"""The command centre's day, in the browser: the commander approves submitted requests (one cut,
with a reason), previews an allocation under shortage and reads every line's tier, share and
source, confirms it and plans shipments; the 泰兴桥 keeper picks, the dispatcher loads and sends
the truck off from a phone; the field hospital's receiver opens the delivery link on a phone and
confirms two boxes short. The database must then agree with what the pages said."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from baogong.catalog import actions as catalog_actions
from baogong.core.audit import SystemActor
from baogong.core.models import AuditEvent
from baogong.distribution import actions
from baogong.distribution.actions import LineInput
from baogong.distribution.models import Discrepancy, Shipment
from baogong.fleet.tests.registered import registered_transport
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.inventory.models import Reservation, StockBalance
from baogong.orgs.models import Site
from tests.e2e.conftest import PHONE, login, no_horizontal_scroll, shot

SYSTEM = SystemActor("e2e")
JOURNEY = "command"


def given_stock_and_three_requests():
    """145 boxes of N95 at 泰兴桥 in two lots; the field hospital asks 120, the elderly home 50 and
    the isolation point 30 — 200 asked for 145 in stock."""
    item = catalog_actions.create_item({"code": "N95", "name": "医用防护口罩", "unit": "盒"}, actor=SYSTEM)
    txq = Site.objects.get(code="WH-TXQ")
    soon = dt.date.today() + dt.timedelta(days=60)
    inventory_actions.receive_stock(
        txq,
        [
            ReceiptLineInput(item=item, batch="N95-A", qty=60, unit_cost=Decimal("250"), expiry=soon),
            ReceiptLineInput(
                item=item, batch="N95-B", qty=85, unit_cost=Decimal("250"), expiry=soon + dt.timedelta(90)
            ),
        ],
        actor=SYSTEM,
        qc_status="released",
    )
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    requests = {}
    for code, qty in (("FH-FCL", 120), ("EH-TY", 50), ("IP-HKL", 30)):
        requests[code] = actions.file_request(
            Site.objects.get(code=code), [LineInput(item=item, qty=qty, needed_by=tomorrow)], actor=SYSTEM, submit=True
        )
    return item, txq, requests


@pytest.mark.django_db(transaction=True)
def test_approve_allocate_dispatch_and_confirm_on_a_phone(base, live_server, new_page):
    item, txq, requests = given_stock_and_three_requests()
    transport = registered_transport("沪B12345", "李师傅")
    registered_transport("沪B54321", "王师傅")
    hospital, home, isolation = requests["FH-FCL"], requests["EH-TY"], requests["IP-HKL"]

    # The commander opens the submitted requests and cuts the field hospital's to 100.
    page = new_page()
    login(page, live_server.url, "commander")
    page.wait_for_selector("h1:has-text('指挥中心看板')")
    page.goto(f"{live_server.url}/distribution/requests/?status=submitted")
    table = page.inner_text("table")
    assert all(r.number in table for r in requests.values())
    shot(page, JOURNEY, "01-requests")
    page.click(f"a:has-text('{hospital.number}')")
    page.wait_for_selector("text=富长路方舱医院")
    line = hospital.lines.get()
    page.fill(f"[name=approved_{line.pk}]", "100")
    page.fill(f"[name=reason_{line.pk}]", "按床位数核减")
    shot(page, JOURNEY, "02-approve-with-cut")
    approve = "form[action$='/approve/'] button[type=submit]"
    page.click(approve)
    page.wait_for_selector(".alert-success")
    assert page.locator(approve).count() == 0  # approved: the quantities are no longer editable
    for other in (home, isolation):
        page.goto(f"{live_server.url}/distribution/requests/{other.pk}/")
        page.click(approve)
        page.wait_for_selector(".alert-success")
    line.refresh_from_db()
    assert (line.approved_qty, line.cut_reason) == (100, "按床位数核减")

    # Allocation under shortage: 180 approved for 145 in stock.
    page.goto(f"{live_server.url}/distribution/allocation/")
    assert "3 条已核准申请行等待库存" in page.inner_text("main")
    page.click("button:has-text('预览分配')")
    page.wait_for_selector("button:has-text('确认并预留库存')")
    rows = {
        r.split("\t")[1]: r.split("\t") for r in page.inner_text("main table tbody").splitlines() if r.count("\t") >= 7
    }
    assert rows[hospital.number][3:6] == ["1", "100", "100"]
    assert "本级全额满足" in rows[hospital.number][6]
    # Tier 2 shares the 45 left: ⌊50×45/80⌋ = 28 (remainder 10), ⌊30×45/80⌋ = 16 (remainder 70) +1.
    assert rows[home.number][3:6] == ["2", "50", "28"]
    assert "不足级：⌊50×45/80⌋ = 28，余数 10" in rows[home.number][6]
    assert rows[isolation.number][3:6] == ["2", "30", "17"]
    assert "⌊30×45/80⌋ = 16，余数 70" in rows[isolation.number][6] and "+1" in rows[isolation.number][6]
    for row in rows.values():
        assert "WH-TXQ ×" in row[7] and "km" in row[7]
    assert "N95" in page.inner_text("#run-totals")  # the short item is named
    shot(page, JOURNEY, "03-allocation-preview")
    page.click("button:has-text('确认并预留库存')")
    page.wait_for_selector(".alert-success")
    reserved = Reservation.objects.filter(status="active")
    assert sum(r.qty for r in reserved) == 145

    page.goto(f"{live_server.url}/distribution/shipments/")
    page.click("button:has-text('按已确认分配生成发运单')")
    page.wait_for_selector("text=已生成 3 张发运单")
    assert Shipment.objects.count() == 3
    shipment = Shipment.objects.get(recipient__code="FH-FCL")
    assert page.locator(f"a:has-text('{shipment.number}')").is_visible()
    shot(page, JOURNEY, "04-shipments-planned")

    # The 泰兴桥 keeper picks; the dispatcher loads and sends it off from a phone.
    keeper = new_page()
    login(keeper, live_server.url, "warehouse")
    keeper.wait_for_selector("h1:has-text('我的工作')")
    keeper.goto(f"{live_server.url}/distribution/shipments/{shipment.pk}/")
    lots = keeper.inner_text("main table tbody")
    assert "N95-A" in lots and "N95-B" in lots  # the earlier-expiring lot first (FEFO), then the next
    shot(keeper, JOURNEY, "05-pick-list")
    keeper.click("button:has-text('已拣货')")
    keeper.wait_for_selector("text=已拣货")

    dispatcher = new_page(phone=True)
    login(dispatcher, live_server.url, "dispatcher")
    dispatcher.wait_for_selector("h1:has-text('我的工作')")
    dispatcher.goto(f"{live_server.url}/distribution/shipments/{shipment.pk}/")
    # only registered trucks and drivers are offered; typing narrows the choices
    dispatcher.fill("input[data-filter-select=id_vehicle_id]", "B12345")
    dispatcher.fill("input[data-filter-select=id_driver_id]", "李")
    assert dispatcher.input_value("#id_vehicle_id") == str(transport["vehicle_id"])
    assert dispatcher.input_value("#id_driver_id") == str(transport["driver_id"])
    shot(dispatcher, JOURNEY, "06-load-phone")
    dispatcher.click("button:has-text('已装车')")
    dispatcher.wait_for_selector("button:has-text('发车')")
    dispatcher.click("button:has-text('发车')")
    dispatcher.wait_for_selector("h1:has-text('在途')")
    assert no_horizontal_scroll(dispatcher)
    shot(dispatcher, JOURNEY, "07-in-transit-phone")

    # The receiver opens the QR link on a phone and confirms 98 of 100.
    receiver = new_page(phone=True)
    assert receiver.viewport_size == PHONE["viewport"]
    receiver.goto(f"{live_server.url}/d/{shipment.pod_token}/")
    receiver.wait_for_selector("text=确认收货")
    lines = list(shipment.lines.order_by("pk"))
    first = lines[0]
    receiver.fill(f"[name=received_{first.pk}]", str(first.qty - 2))
    receiver.fill("[name=reason]", "到货少两盒")
    receiver.select_option("[name=disposition]", "loss")
    receiver.fill("[name=received_by]", "张护士长")
    receiver.fill("[name=receiver_phone]", "13800000000")
    assert no_horizontal_scroll(receiver)
    shot(receiver, JOURNEY, "08-confirm-phone")
    receiver.click("#pod-submit")
    receiver.wait_for_selector("#pod-sent:not(.d-none)")  # sent through the phone's queue (issue 23)
    receiver.reload()
    receiver.wait_for_selector("text=张护士长")
    assert f"{first.qty - 2} / {first.qty}" in receiver.inner_text("main")
    shot(receiver, JOURNEY, "09-confirmed-phone")

    # The database agrees.
    shipment.refresh_from_db()
    assert shipment.status == "delivered" and shipment.received_by == "张护士长"
    assert sum(li.qty for li in lines) == 100
    consumed = Reservation.objects.filter(status="consumed")
    assert sum(r.original_qty for r in consumed) == 100
    assert sum(r.qty for r in Reservation.objects.filter(status="active")) == 45  # the other two shipments
    (gap,) = Discrepancy.objects.all()
    assert (gap.kind, gap.qty, gap.disposition, gap.reason) == ("shortage", 2, "loss", "到货少两盒")
    by_kind = {}
    for b in StockBalance.objects.filter(item=item).select_related("location"):
        by_kind[b.location.kind] = by_kind.get(b.location.kind, 0) + b.on_hand
    assert by_kind.get("recipient") == 98
    assert by_kind.get("in_transit", 0) == 0
    assert sum(v for k, v in by_kind.items() if k not in ("recipient", "loss", "in_transit")) == 45
    assert by_kind.get("loss") == 2
    hospital.refresh_from_db()
    assert hospital.lines.get().delivered_qty == 98
    assert AuditEvent.objects.filter(verb="record_delivery").count() == 1
    assert AuditEvent.objects.filter(verb="approve_request").count() == 3
