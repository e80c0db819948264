"""Several photos of one proof of delivery (issue 22.4): in one submission from the delivery page,
each through the upload guard, all kept or none; the phone's queue names each by its checksum."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from baogong.core.models import AuditEvent
from baogong.distribution.choices import ShipmentStatus
from baogong.distribution.models import DeliveryPhoto

from .test_offline_delivery import QUEUE, event, png

pytestmark = pytest.mark.django_db


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 30, 200)).save(out, format="JPEG")
    return out.getvalue()


def _form(shipment, *photos):
    line = shipment.lines.get()
    return {
        f"received_{line.pk}": str(line.qty),
        f"damaged_{line.pk}": "0",
        "received_by": "李护士长",
        "receiver_phone": "13800138000",
        "client_token": "web-token-1",
        "photo": list(photos),
    }


def test_the_delivery_page_keeps_every_photo_chosen(in_transit, client_for):
    # given the receiver picks three photos at once
    photos = [
        SimpleUploadedFile("goods.png", png(), content_type="image/png"),
        SimpleUploadedFile("note.jpg", jpeg(), content_type="image/jpeg"),
        SimpleUploadedFile("case.png", png(), content_type="image/png"),
    ]
    # when the delivery is confirmed
    answer = Client().post(f"/d/{in_transit.pod_token}/", _form(in_transit, *photos))
    # then the shipment is delivered with its three photos, the first also the receiver's photo
    assert answer.status_code == 302
    in_transit.refresh_from_db()
    assert in_transit.status == ShipmentStatus.DELIVERED
    kept = list(DeliveryPhoto.objects.filter(shipment=in_transit))
    assert [p.original_name for p in kept] == ["goods.png", "note.jpg", "case.png"]
    assert in_transit.receiver_photo.name == kept[0].file.name
    with kept[1].file.open("rb") as f:
        assert f.read() == jpeg()
    event = AuditEvent.objects.get(verb="record_delivery")
    assert event.after["photos"] == ["goods.png", "note.jpg", "case.png"]
    # and the dispatcher sees them on the shipment, each served to who may see the shipment
    page = client_for("commander").get(f"/distribution/shipments/{in_transit.pk}/").content.decode()
    assert page.count('class="img-thumbnail thumb-8rem"') == 3
    assert client_for("commander").get(kept[0].file.url).status_code == 200
    assert client_for("tenant").get(kept[0].file.url).status_code == 404


def test_a_file_that_is_not_a_photo_refuses_the_whole_confirmation(in_transit):
    # given one good photo and a script named as a photo
    photos = [
        SimpleUploadedFile("goods.png", png(), content_type="image/png"),
        SimpleUploadedFile("evil.jpg", b"<script>alert(1)</script>", content_type="image/jpeg"),
    ]
    # when the delivery is confirmed
    answer = Client().post(f"/d/{in_transit.pod_token}/", _form(in_transit, *photos))
    # then a field error naming the file, nothing delivered, no photo stored
    assert answer.status_code == 400
    assert "evil.jpg" in answer.content.decode()
    in_transit.refresh_from_db()
    assert in_transit.status == ShipmentStatus.IN_TRANSIT
    assert not DeliveryPhoto.objects.exists()
    assert not AuditEvent.objects.filter(verb="record_delivery").exists()


def test_more_than_ten_photos_are_refused(in_transit):
    photos = [SimpleUploadedFile(f"p{i}.png", png(), content_type="image/png") for i in range(11)]
    answer = Client().post(f"/d/{in_transit.pod_token}/", _form(in_transit, *photos))
    assert answer.status_code == 400
    assert "一次最多 10 张照片。" in answer.content.decode()
    assert not DeliveryPhoto.objects.exists()


def test_the_phone_queue_sends_each_photo_then_names_them_all(in_transit):
    # given two photos the phone sent ahead by checksum
    client = Client()
    photo_url = f"/d/{in_transit.pod_token}/photo/"
    sums = []
    for data in (png(), jpeg()):
        digest = hashlib.sha256(data).hexdigest()
        kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        assert client.post(photo_url, data, content_type=kind, HTTP_X_PHOTO_SHA256=digest).status_code == 201
        sums.append(digest)
    # when the queued confirmation names both
    body = event(in_transit, event_id="dev0000000010")
    body["photo_sha256"] = sums
    answer = client.post(f"/d/{in_transit.pod_token}/", body, HTTP_IDEMPOTENCY_KEY="dev0000000010", **QUEUE)
    # then both are the delivery's photos, in order
    assert answer.status_code == 200
    kept = list(DeliveryPhoto.objects.filter(shipment=in_transit))
    assert len(kept) == 2
    for photo, digest in zip(kept, sums, strict=True):
        with photo.file.open("rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest
