"""Proof of delivery from a phone's offline queue: the device event id is the submission token (a
replay answers the first result), photos arrive apart by checksum, a confirmation based on an
older version of the shipment is kept for review; the API gives dispatchers the delivery link."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.test import Client
from PIL import Image

from baogong.core.models import AuditEvent, FieldConflict, FieldPhoto
from baogong.distribution import actions
from baogong.distribution.actions import DeliveryLineInput
from baogong.distribution.choices import ShipmentStatus
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs.models import Site

from .conftest import SYSTEM, in_days

QUEUE = {"HTTP_X_BAOGONG_QUEUE": "1"}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def event(shipment, **extra):
    line = shipment.lines.get()
    return {
        f"received_{line.pk}": str(line.qty),
        f"damaged_{line.pk}": "0",
        "received_by": "张护士长",
        "receiver_phone": "13800000000",
        "based_on": shipment.delivery_version(),
        **extra,
    }


def test_a_queued_confirmation_is_recorded_once_and_a_replay_gets_the_first_answer(in_transit):
    client = Client()
    url = f"/d/{in_transit.pod_token}/"
    data = event(in_transit, event_id="dev0000000001")
    first = client.post(url, data, HTTP_IDEMPOTENCY_KEY="dev0000000001", **QUEUE)
    again = client.post(url, data, HTTP_IDEMPOTENCY_KEY="dev0000000001", **QUEUE)
    assert first.status_code == again.status_code == 200
    assert (
        json.loads(first.content) == json.loads(again.content) == {"status": "recorded", "shipment": in_transit.number}
    )
    in_transit.refresh_from_db()
    assert in_transit.status == ShipmentStatus.DELIVERED
    assert in_transit.delivery_client_token == "dev0000000001"
    assert AuditEvent.objects.filter(verb="record_delivery").count() == 1


def test_a_confirmation_based_on_an_older_version_is_kept_for_review_not_applied(in_transit, client_for):
    seen = in_transit.delivery_version()
    line = in_transit.lines.get()
    actions.record_delivery(  # someone else confirmed meanwhile, online
        in_transit,
        [DeliveryLineInput(line.pk, line.qty)],
        received_by="李主任",
        receiver_phone="13900000000",
        client_token="desk-1",
        actor=SYSTEM,
    )
    client = Client()
    data = event(in_transit, event_id="dev0000000002", based_on=seen, received_by="张护士长")
    answer = client.post(f"/d/{in_transit.pod_token}/", data, HTTP_IDEMPOTENCY_KEY="dev0000000002", **QUEUE)
    replay = client.post(f"/d/{in_transit.pod_token}/", data, HTTP_IDEMPOTENCY_KEY="dev0000000002", **QUEUE)
    assert answer.status_code == replay.status_code == 409
    assert json.loads(answer.content)["code"] == "field_conflict"
    in_transit.refresh_from_db()
    assert in_transit.received_by == "李主任"  # never a silent overwrite
    conflict = FieldConflict.objects.get()
    assert conflict.event_id == "dev0000000002" and conflict.based_on == seen
    assert conflict.payload["收货人姓名"] == "张护士长" and conflict.payload["收货人电话"] != "13800000000"
    assert conflict.permission == "distribution.dispatch_shipment"
    assert AuditEvent.objects.filter(verb="record_field_conflict").count() == 1

    # the dispatcher of the warehouse's company sees it and marks it reviewed; a pharmacist does not
    assert "张护士长" in client_for("dispatcher").get("/field/conflicts/").content.decode()
    assert "张护士长" not in client_for("pharmacist").get("/field/conflicts/").content.decode()
    assert (
        client_for("pharmacist").post(f"/field/conflicts/{conflict.pk}/resolve/", {"resolution": "x"}).status_code
        == 404
    )
    dispatcher = client_for("dispatcher")
    dispatcher.post(f"/field/conflicts/{conflict.pk}/resolve/", {"resolution": ""})
    assert FieldConflict.objects.get().status == FieldConflict.Status.OPEN  # a note is needed
    dispatcher.post(f"/field/conflicts/{conflict.pk}/resolve/", {"resolution": "已电话核实，以李主任签收为准"})
    conflict.refresh_from_db()
    assert conflict.status == FieldConflict.Status.RESOLVED and conflict.resolved_by.username == "dispatcher"
    assert AuditEvent.objects.filter(verb="resolve_field_conflict").count() == 1


def test_a_photo_arrives_apart_checked_by_its_sha256(in_transit):
    client = Client()
    photo_url = f"/d/{in_transit.pod_token}/photo/"
    data = png()
    good = hashlib.sha256(data).hexdigest()
    broken = client.post(photo_url, data[:-3], content_type="image/png", HTTP_X_PHOTO_SHA256=good)
    assert broken.status_code == 400 and json.loads(broken.content)["code"] == "photo_checksum_mismatch"
    assert not FieldPhoto.objects.exists()
    for _attempt in range(2):  # retried: stored once
        stored = client.post(photo_url, data, content_type="image/png", HTTP_X_PHOTO_SHA256=good)
        assert stored.status_code == 201 and json.loads(stored.content)["sha256"] == good
    assert FieldPhoto.objects.count() == 1
    not_an_image = client.post(
        photo_url, b"hello", content_type="image/png", HTTP_X_PHOTO_SHA256=hashlib.sha256(b"hello").hexdigest()
    )
    assert not_an_image.status_code == 400

    answer = client.post(
        f"/d/{in_transit.pod_token}/",
        event(in_transit, event_id="dev0000000003", photo_sha256=good),
        HTTP_IDEMPOTENCY_KEY="dev0000000003",
        **QUEUE,
    )
    assert answer.status_code == 200
    in_transit.refresh_from_db()
    with in_transit.receiver_photo.open("rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == good


def test_a_confirmation_naming_a_photo_that_never_arrived_waits(in_transit):
    answer = Client().post(
        f"/d/{in_transit.pod_token}/",
        event(in_transit, event_id="dev0000000004", photo_sha256="0" * 64),
        HTTP_IDEMPOTENCY_KEY="dev0000000004",
        **QUEUE,
    )
    assert answer.status_code == 400 and "photo" in json.loads(answer.content)["details"]
    in_transit.refresh_from_db()
    assert in_transit.status == ShipmentStatus.IN_TRANSIT


@pytest.mark.parametrize(("username", "has_link"), [("dispatcher", True), ("commander", True), ("auditor", False)])
def test_shipments_in_the_api_carry_the_delivery_link_for_dispatchers(in_transit, api_for, username, has_link):
    body = api_for(username).get(f"/api/v1/distribution/shipments/{in_transit.pk}/").json()
    if has_link:
        assert body["delivery_url"] == f"http://testserver/d/{in_transit.pod_token}/"
    else:
        assert body["delivery_url"] is None
    assert body["delivery_version"] == in_transit.delivery_version()


def test_the_api_delivery_takes_the_device_event_id_and_refuses_a_stale_version(in_transit, api_for):
    api = api_for("dispatcher")
    line = in_transit.lines.get()
    body = {
        "lines": [{"line": line.pk, "received": line.qty}],
        "received_by": "张护士长",
        "receiver_phone": "13800000000",
        "event_id": "dev0000000005",
        "based_on": "0000000000000000",
    }
    stale = api.post(f"/api/v1/distribution/shipments/{in_transit.pk}/deliver/", body, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "field_conflict"
    assert FieldConflict.objects.get().event_id == "dev0000000005"
    body.update(event_id="dev0000000006", based_on=in_transit.delivery_version())
    first = api.post(
        f"/api/v1/distribution/shipments/{in_transit.pk}/deliver/",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY="dev0000000006",
    )
    replay = api.post(
        f"/api/v1/distribution/shipments/{in_transit.pk}/deliver/",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY="dev0000000006",
    )
    assert first.status_code == replay.status_code == 200 and first.json() == replay.json()
    in_transit.refresh_from_db()
    assert in_transit.delivery_client_token == "dev0000000006"
    assert AuditEvent.objects.filter(verb="record_delivery").count() == 1


def test_splitting_a_shipment_changes_its_delivery_version(file, hospital, n95, stocked):
    from baogong.catalog import actions as catalog_actions

    gloves = catalog_actions.create_item({"code": "GLV", "name": "手套", "unit": "盒"}, actor=SYSTEM)
    inventory_actions.receive_stock(
        Site.objects.get(code="WH-TXQ"),
        [ReceiptLineInput(item=gloves, batch="G1", qty=10, unit_cost=1, expiry=in_days(90))],
        actor=SYSTEM,
        qc_status="released",
    )
    actions.approve_request(file(hospital, (n95, 5, in_days(1)), (gloves, 5, in_days(1))), actor=SYSTEM)
    actions.confirm_allocation(
        actions.preview_allocation([Site.objects.get(code="WH-TXQ")], actor=SYSTEM), actor=SYSTEM
    )
    (shipment,) = actions.plan_shipments(actor=SYSTEM)
    before = shipment.delivery_version()
    actions.split_shipment(shipment, [shipment.lines.order_by("pk").last().pk], actor=SYSTEM)
    shipment.refresh_from_db()
    assert shipment.delivery_version() != before
