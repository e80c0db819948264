"""The pharmacy courier's hand-overs from a phone's offline queue: answered in JSON, a replay of
the same device event gets the first answer, a hand-over of an order that changed meanwhile (handed
over at the counter, failed, re-assigned) is kept for review, never applied over it."""

from __future__ import annotations

import json

import pytest

from baogong.core.models import AuditEvent, FieldConflict
from baogong.pharmacy import actions
from baogong.pharmacy.models import Order
from baogong.pharmacy.tests.test_orders import check, otc_rx, place_rx  # noqa: F401 - fixture

QUEUE = {"HTTP_X_BAOGONG_QUEUE": "1"}


@pytest.fixture
def out_for_delivery(otc_rx, order_input, system, user):  # noqa: F811 - the fixture above
    order = place_rx(otc_rx, order_input, system)
    pharmacist = user("pharmacist")
    actions.approve_order(order, check=check(), actor=pharmacist)
    actions.settle_order(order, method="self_pay", actor=pharmacist)
    return actions.dispatch_order(order, user("driver"), actor=pharmacist)


def queued(client, url, data, key):
    return client.post(url, {**data, "event_id": key}, HTTP_IDEMPOTENCY_KEY=key, **QUEUE)


def test_a_queued_hand_over_is_recorded_once(client_for, out_for_delivery):
    courier = client_for("driver")
    page = courier.get("/pharmacy/deliveries/")
    order = Order.objects.get(pk=out_for_delivery.pk)
    assert page["X-Baogong-Field"] == "1" and order.handover_version() in page.content.decode()
    url = f"/pharmacy/orders/{order.pk}/deliver/"
    data = {"code": order.handover_code, "based_on": order.handover_version()}
    first = queued(courier, url, data, "dev4000000001")
    replay = queued(courier, url, data, "dev4000000001")
    assert first.status_code == replay.status_code == 200 and first.content == replay.content
    assert json.loads(first.content) == {"status": "recorded", "order": order.number, "order_status": "delivered"}
    assert AuditEvent.objects.filter(verb="confirm_delivery").count() == 1


def test_a_wrong_code_is_refused_with_its_field(client_for, out_for_delivery):
    order = out_for_delivery
    wrong = "0000" if order.handover_code != "0000" else "1111"
    answer = queued(
        client_for("driver"),
        f"/pharmacy/orders/{order.pk}/deliver/",
        {"code": wrong, "based_on": order.handover_version()},
        "dev4000000002",
    )
    assert answer.status_code == 400 and "code" in json.loads(answer.content)["details"]
    assert Order.objects.get(pk=order.pk).status == "out_for_delivery"


def test_a_hand_over_of_an_order_that_changed_meanwhile_is_kept_for_review(client_for, out_for_delivery, user):
    order = out_for_delivery
    seen = order.handover_version()
    # meanwhile the resident fetched the drugs at the counter
    actions.confirm_delivery(order, order.handover_code, actor=user("pharmacist"))
    answer = queued(
        client_for("driver"),
        f"/pharmacy/orders/{order.pk}/fail/",
        {"reason": "无人应门", "based_on": seen},
        "dev4000000003",
    )
    assert answer.status_code == 409 and json.loads(answer.content)["code"] == "field_conflict"
    conflict = FieldConflict.objects.get(event_id="dev4000000003")
    assert (conflict.kind, conflict.site_id, conflict.based_on) == ("pharmacy_handover", order.pharmacy_id, seen)
    assert conflict.payload == {"原因": "无人应门"} or conflict.payload == {"Reason": "无人应门"}
    assert Order.objects.get(pk=order.pk).status == "delivered"
    assert not AuditEvent.objects.filter(verb="record_delivery_failure").exists()


def test_an_order_never_shown_to_the_user_answers_not_found(client_for, out_for_delivery):
    order = out_for_delivery
    answer = queued(
        client_for("fuel"),
        f"/pharmacy/orders/{order.pk}/deliver/",
        {"code": order.handover_code, "based_on": "0" * 16},
        "dev4000000004",
    )
    assert answer.status_code in (403, 404)
    assert Order.objects.get(pk=order.pk).status == "out_for_delivery"
