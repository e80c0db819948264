"""Issue 20's journey in Chromium: a positive test at 泰兴桥大仓 → the warehouse is under control →
the allocation preview sources only from the other warehouses → the re-plan diff is confirmed →
loading the re-sourced shipment with the positive person as its driver is refused."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from baogong.catalog import actions as catalog_actions
from baogong.core.audit import SystemActor
from baogong.distribution import actions as distribution
from baogong.distribution.actions import LineInput
from baogong.distribution.models import AllocationReservation, AllocationRun, Shipment
from baogong.fleet import actions as fleet_actions
from baogong.fleet.tests.registered import registered_vehicle
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs.models import Organisation, Site
from baogong.people import actions
from tests.e2e.conftest import login, shot

SYSTEM = SystemActor("e2e")


def supply(item, site, qty):
    inventory_actions.receive_stock(
        site,
        [
            ReceiptLineInput(
                item=item, batch=f"B-{site.code}", qty=qty, unit_cost=Decimal("250"), expiry=dt.date(2030, 1, 1)
            )
        ],
        actor=SYSTEM,
        qc_status="released",
    )


def approved(item, code, qty):
    request = distribution.file_request(
        Site.objects.get(code=code),
        [LineInput(item=item, qty=qty, needed_by=timezone.localdate() + dt.timedelta(days=1))],
        actor=SYSTEM,
        submit=True,
    )
    return distribution.approve_request(request, actor=SYSTEM)


@pytest.mark.django_db(transaction=True)
def test_positive_test_controls_the_warehouse_and_supply_is_replanned(base, live_server, new_page):
    txq, by = Site.objects.get(code="WH-TXQ"), Site.objects.get(code="WH-BY")
    n95 = catalog_actions.create_item({"code": "N95", "name": "医用防护口罩", "unit": "盒"}, actor=SYSTEM)
    supply(n95, txq, 40)
    supply(n95, by, 50)
    # the field hospital's N95 are reserved at 泰兴桥 and planned; the elderly home waits
    approved(n95, "FH-FCL", 20)
    distribution.confirm_allocation(distribution.preview_allocation([txq], actor=SYSTEM), actor=SYSTEM)
    distribution.plan_shipments(actor=SYSTEM)
    approved(n95, "EH-TY", 10)
    health = get_user_model().objects.get(username="health")
    worker = actions.create_person(
        {
            "kind": "staff",
            "name": "王建国",
            "organisation": Organisation.objects.get(code="CYGS"),
            "home_site": txq,
            "id_number": "310113198001010013",
            "phone": "13812345678",
        },
        actor=health,
    )

    # the health officer records a positive antigen test
    page = new_page()
    login(page, live_server.url, "health")
    page.goto(f"{live_server.url}/people/{worker.pk}/")
    page.select_option("select[name=kind]", "antigen")
    page.select_option("select[name=result]", "positive")
    taken = timezone.localtime() - dt.timedelta(minutes=5)
    page.fill("input[name=taken_at]", taken.strftime("%Y-%m-%dT%H:%M"))
    page.click("button:has-text('录入')")
    page.wait_for_selector("#clearance")
    txq.refresh_from_db()
    assert txq.status == "under_control"
    page.goto(f"{live_server.url}/sites/{txq.pk}/")
    banner = page.inner_text("[data-site-code=WH-TXQ]")
    assert "管控" in banner and "王建国" in banner

    # the command centre previews an allocation: 泰兴桥 is not offered, the preview says why
    commander = new_page()
    login(commander, live_server.url, "commander")
    commander.goto(f"{live_server.url}/distribution/allocation/")
    assert commander.is_disabled(f"#w{txq.pk}")
    assert "不作为调拨货源" in commander.inner_text("[data-site-code=WH-TXQ]")
    commander.click("button:has-text('预览')")
    commander.wait_for_selector("#held-sources")
    assert "泰兴桥大仓" in commander.inner_text("#held-sources")
    run = AllocationRun.objects.latest("pk")
    run_sources = {s["code"] for line in run.lines.all() for s in line.sources}
    assert run_sources == {"WH-BY"}
    assert "WH-TXQ" not in set(run.warehouses.values_list("code", flat=True))
    shot(commander, "outbreak", "allocation-without-controlled-warehouse")

    # 重新调配: the diff first, then confirmed
    commander.click("[data-site-code=WH-TXQ] a:has-text('重新调配')")
    commander.wait_for_selector("#replan-moves")
    moves = commander.inner_text("#replan-moves")
    assert "北翼集团配送仓" in moves and "20" in moves
    shot(commander, "outbreak", "replan-diff")
    with commander.expect_navigation():
        commander.click("#confirm-replan")
    assert "已重新调配" in commander.inner_text("main")
    assert not AllocationReservation.objects.filter(warehouse=txq, reservation__status="active").exists()
    assert set(Shipment.objects.values_list("warehouse__code", flat=True)) == {"WH-BY"}

    # the positive worker is also a registered driver of 储运公司: the load page offers them (they
    # are registered) but loading with them is refused on the driver field, and nothing changes
    vehicle = registered_vehicle("沪B54321")
    driver = fleet_actions.create_driver(
        {
            "organisation": Organisation.objects.get(code="CYGS"),
            "name": "王建国",
            "phone": "13812345678",
            "licence_number": "DRV-WJG",
            "licence_class": "B2",
            "licence_expiry": timezone.localdate() + dt.timedelta(days=365),
            "person": worker,
        },
        actor=SYSTEM,
    )
    shipment = Shipment.objects.get(warehouse__code="WH-BY")
    distribution.pick_shipment(shipment, actor=SYSTEM)
    commander.goto(f"{live_server.url}/distribution/shipments/{shipment.pk}/")
    commander.select_option("#id_vehicle_id", str(vehicle.pk))
    commander.select_option("#id_driver_id", str(driver.pk))
    commander.click("#load-form button[name=step]")
    commander.wait_for_selector("[data-field=driver_id]")
    refusal = commander.inner_text("[data-field=driver_id]")
    assert "检测阳性" in refusal, refusal
    shot(commander, "outbreak", "load-refused-positive-driver")
    shipment.refresh_from_db()
    assert (shipment.status, shipment.driver_id) == ("picked", None)
