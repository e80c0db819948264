"""Pages: request approval, allocation preview/confirm, shipments, PDF, the no-login pages, value."""

from __future__ import annotations

from django.test import Client
from openpyxl import load_workbook

from baogong.core.models import AuditEvent
from baogong.distribution import actions
from baogong.distribution.choices import RequestStatus, ShipmentStatus
from baogong.distribution.models import AllocationRun, Request, Shipment
from baogong.orgs.models import Site

from .conftest import SYSTEM, in_days


def test_commander_approves_with_a_cut_on_the_detail_page(client_for, file, hospital, n95):
    request = file(hospital, (n95, 100, in_days(1)))
    line = request.lines.get()
    client = client_for("commander")
    assert client.get("/distribution/requests/").status_code == 200
    page = client.get(f"/distribution/requests/{request.pk}/")
    assert page.status_code == 200 and request.number in page.content.decode()
    client.post(
        f"/distribution/requests/{request.pk}/approve/", {f"approved_{line.pk}": "60", f"reason_{line.pk}": "norm"}
    )
    line.refresh_from_db()
    assert (line.approved_qty, line.cut_reason) == (60, "norm")


def test_auditor_sees_requests_but_cannot_approve(client_for, file, hospital, n95):
    request = file(hospital, (n95, 100, in_days(1)))
    client = client_for("auditor")
    assert client.get(f"/distribution/requests/{request.pk}/").status_code == 200
    assert client.post(f"/distribution/requests/{request.pk}/approve/").status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_warehouse_keeper_gets_404_for_a_request_outside_scope(client_for, file, hospital, n95):
    request = file(hospital, (n95, 100, in_days(1)))
    assert client_for("warehouse").get(f"/distribution/requests/{request.pk}/").status_code == 404


def test_allocation_preview_and_confirm_pages(client_for, file, hospital, n95, stocked):
    actions.approve_request(file(hospital, (n95, 100, in_days(1))), actor=SYSTEM)
    client = client_for("commander")
    txq = Site.objects.get(code="WH-TXQ")
    response = client.post("/distribution/allocation/", {"warehouse": [txq.pk]})
    run = AllocationRun.objects.get()
    assert response.url == f"/distribution/allocation/{run.pk}/"
    page = client.get(response.url).content.decode()
    assert "⌊100×30/100⌋" in page or "100×30/100" in page
    client.post(response.url, {"step": "confirm"})
    run.refresh_from_db()
    assert run.status == "confirmed"


def test_public_request_link_page(street, n95):
    link = actions.create_request_link(street, actor=SYSTEM)
    client = Client()
    assert client.get(f"/r/{link.token}/").status_code == 200
    response = client.post(
        f"/r/{link.token}/",
        {"item_0": "N95", "qty_0": "12", "needed_by_0": in_days(1).isoformat(), "name": "王敏", "phone": "13912345678"},
    )
    assert response.status_code == 200
    made = Request.objects.get()
    assert (made.recipient, made.submitter_name, made.lines.get().qty) == (street, "王敏", 12)
    assert made.number in response.content.decode()
    bad = client.post(
        f"/r/{link.token}/",
        {"item_0": "N95", "qty_0": "1", "needed_by_0": in_days(1).isoformat(), "name": "", "phone": "1"},
    )
    assert bad.status_code == 400
    assert Request.objects.count() == 1
    assert client.get("/r/not-a-token/").status_code == 404


def test_delivery_note_pdf_and_pick_list(client_for, in_transit):
    client = client_for("commander")
    pdf = client.get(f"/distribution/shipments/{in_transit.pk}/delivery-note.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    picklist = client.get(f"/distribution/shipments/{in_transit.pk}/picklist/").content.decode()
    assert "B1" in picklist and "5000.00" in picklist
    assert client.get(f"/distribution/shipments/{in_transit.pk}/").status_code == 200


def test_phone_delivery_page_records_once_with_an_idempotency_key(in_transit):
    client = Client()
    url = f"/d/{in_transit.pod_token}/"
    page = client.get(url)
    assert page.status_code == 200 and "data-offline=" in page.content.decode()
    line = in_transit.lines.get()
    data = {
        "client_token": "phone-1",
        f"received_{line.pk}": "20",
        f"damaged_{line.pk}": "0",
        "received_by": "张护士长",
        "receiver_phone": "13800000000",
    }
    first = client.post(url, data, HTTP_IDEMPOTENCY_KEY="pod-phone-1")
    second = client.post(url, data, HTTP_IDEMPOTENCY_KEY="pod-phone-1")
    third = client.post(url, data)  # a retry without the header: the client token protects it
    assert first.status_code == second.status_code == 302
    assert third.status_code == 302
    in_transit.refresh_from_db()
    assert in_transit.status == ShipmentStatus.DELIVERED
    assert AuditEvent.objects.filter(verb="record_delivery").count() == 1
    assert "张护士长" in client.get(url).content.decode()
    actions.close_shipment(in_transit, actor=SYSTEM)
    assert client.get(url).status_code == 404


def test_value_page_and_excel_export(client_for, in_transit):
    actions.record_delivery(
        in_transit,
        [actions.DeliveryLineInput(li.pk, li.qty) for li in in_transit.lines.all()],
        received_by="张",
        receiver_phone="13800000000",
        client_token="x",
        actor=SYSTEM,
    )
    client = client_for("commander")
    page = client.get("/distribution/value/")
    assert page.status_code == 200
    assert "5000.00" in page.content.decode()
    export = client.get("/distribution/value/?format=xlsx")
    sheet = load_workbook(__import__("io").BytesIO(export.content)).worksheets[0]
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert any(r and r[1] == "FH-FCL" and r[3] == 20 for r in values)
    assert client_for("warehouse").get("/distribution/value/").status_code == 403


def test_plan_shipments_button(client_for, file, hospital, n95, stocked):
    actions.approve_request(file(hospital, (n95, 20, in_days(1))), actor=SYSTEM)
    actions.confirm_allocation(
        actions.preview_allocation([Site.objects.get(code="WH-TXQ")], actor=SYSTEM), actor=SYSTEM
    )
    client_for("dispatcher").post("/distribution/shipments/")
    assert Shipment.objects.count() == 1
    assert client_for("dispatcher").get("/distribution/shipments/").status_code == 200
