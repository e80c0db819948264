"""Outbreak response as a new user tries it: the health officer records a positive antigen test
for a warehouse worker of 泰兴桥大仓; the warehouse goes under control, the close contact is listed
and refused, and the dispatcher's truck may not load there (desktop and phone); a driver checks in
from a phone."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from baogong.catalog import actions as catalog_actions
from baogong.core.audit import SystemActor
from baogong.distribution import actions as distribution
from baogong.distribution.actions import LineInput
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs.models import Organisation, Site
from baogong.people import actions
from tests.e2e.conftest import login, no_horizontal_scroll, shot

SYSTEM = SystemActor("e2e")


def picked_shipment_from(warehouse):
    """A shipment from the warehouse to the field hospital, picked and waiting for its truck."""
    item = catalog_actions.create_item({"code": "N95", "name": "医用防护口罩", "unit": "盒"}, actor=SYSTEM)
    inventory_actions.receive_stock(
        warehouse,
        [ReceiptLineInput(item=item, batch="B1", qty=30, unit_cost=Decimal("250"), expiry=dt.date(2030, 1, 1))],
        actor=SYSTEM,
        qc_status="released",
    )
    request = distribution.file_request(
        Site.objects.get(code="FH-FCL"),
        [LineInput(item=item, qty=30, needed_by=dt.date.today() + dt.timedelta(days=1))],
        actor=SYSTEM,
        submit=True,
    )
    distribution.approve_request(request, actor=SYSTEM)
    distribution.confirm_allocation(distribution.preview_allocation([warehouse], actor=SYSTEM), actor=SYSTEM)
    (shipment,) = distribution.plan_shipments(actor=SYSTEM)
    return distribution.pick_shipment(shipment, actor=SYSTEM)


@pytest.mark.django_db(transaction=True)
def test_positive_test_puts_the_warehouse_under_control(base, live_server, new_page):
    health = get_user_model().objects.get(username="health")
    warehouse = Site.objects.get(code="WH-TXQ")
    shipment = picked_shipment_from(warehouse)
    today = timezone.localdate()
    crew = []
    for name, number in [("王建国", "310113198001010013"), ("李卫东", "310113199212310029")]:
        person = actions.create_person(
            {
                "kind": "staff",
                "name": name,
                "organisation": Organisation.objects.get(code="CYGS"),
                "home_site": warehouse,
                "id_number": number,
                "phone": "13812345678",
            },
            actor=health,
        )
        actions.deploy_person(
            person,
            duty_type="supply",
            site=warehouse,
            starts_on=today - dt.timedelta(days=3),
            ends_on=today,
            actor=health,
        )
        crew.append(person)
    worker, mate = crew

    page = new_page()
    login(page, live_server.url, "health")
    page.goto(f"{live_server.url}/people/{worker.pk}/")
    assert "310***********0013" in page.inner_text("#id-number")
    page.select_option("select[name=kind]", "antigen")
    page.select_option("select[name=result]", "positive")
    taken = timezone.localtime() - dt.timedelta(minutes=5)
    page.fill("input[name=taken_at]", taken.strftime("%Y-%m-%dT%H:%M"))
    page.click("button:has-text('录入')")
    page.wait_for_selector("#clearance")
    assert "检测阳性，尚未康复" in page.inner_text("#clearance")

    page.goto(f"{live_server.url}/people/incidents/")
    page.click("table a")
    page.wait_for_selector("#contacts")
    assert "李卫东" in page.inner_text("#contacts")
    assert "管控" in page.inner_text("#incident-sites")

    page.goto(f"{live_server.url}/people/{mate.pk}/")
    assert "密切接触者" in page.inner_text("#clearance")
    warehouse.refresh_from_db()
    assert warehouse.status == "under_control"

    # Dispatch from the warehouse under control is refused, on the desktop and on a phone.
    for phone in (False, True):
        dispatcher = new_page(phone=phone)
        login(dispatcher, live_server.url, "dispatcher")
        dispatcher.wait_for_selector("h1:has-text('我的工作')")
        dispatcher.goto(f"{live_server.url}/distribution/shipments/{shipment.pk}/")
        refusal = dispatcher.inner_text(".alert-danger")
        assert "不允许装车" in refusal and "泰兴桥大仓" in refusal
        dispatcher.click("button[name=step][value=load]")
        dispatcher.wait_for_selector(".alert-danger >> nth=1")
        shipment.refresh_from_db()
        assert (shipment.status, shipment.vehicle_plate) == ("picked", "")
        assert no_horizontal_scroll(dispatcher)
        shot(dispatcher, "outbreak", "dispatch-refused-phone" if phone else "dispatch-refused")


@pytest.mark.django_db(transaction=True)
def test_driver_checks_in_on_a_phone(base, live_server, new_page):
    driver = get_user_model().objects.get(username="driver")
    actions.create_person(
        {"kind": "staff", "name": "司机小王", "organisation": Organisation.objects.get(code="CYGS"), "user": driver},
        actor=get_user_model().objects.get(username="health"),
    )
    page = new_page(phone=True)
    login(page, live_server.url, "driver")
    page.goto(f"{live_server.url}/people/check-in/")
    page.fill("input[name=temperature]", "36.5")
    page.click("button:has-text('打卡')")
    page.wait_for_selector("#check-sent:not(.d-none)")  # sent through the phone's queue (issue 23)
    page.reload()
    page.wait_for_selector("#today-check")
    assert "36.5" in page.inner_text("#today-check")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
