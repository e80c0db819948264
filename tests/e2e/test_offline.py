"""Field pages without network, as a driver, a receiver and staff meet them on a phone: the page is
opened once online, the network is cut (Chromium's offline emulation), work is recorded across
drops and reloads, the network comes back — nothing is lost, nothing is recorded twice, every
photo arrives with the checksum the phone computed."""

from __future__ import annotations

import os
import random
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from baogong.core.models import AuditEvent, FieldPhoto
from baogong.distribution.choices import ShipmentStatus
from baogong.distribution.models import Shipment
from baogong.orgs.models import Organisation
from baogong.people import actions as people_actions
from baogong.people.models import HealthCheck
from tests.e2e.conftest import login, shot
from tests.e2e.field_setup import SYSTEM, photo, sha256, shipments_on_the_way

DELIVERIES = int(os.environ.get("BAOGONG_E2E_OFFLINE_DELIVERIES", "200"))
CHECK_INS = int(os.environ.get("BAOGONG_E2E_OFFLINE_CHECK_INS", "24"))
SYNC_TIMEOUT_MS = 240_000


def worker_ready(page: Any) -> None:
    """The service worker controls the page (it keeps what the page loads from now on)."""
    page.wait_for_function(
        "() => !!navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=30_000
    )


def pending(page: Any) -> int:
    return int(page.get_attribute("#field-queue", "data-pending") or 0)


def wait_synced(page: Any) -> None:
    page.wait_for_function(
        "() => { const b = document.getElementById('field-queue'); return !!b && b.getAttribute('data-pending') === '0'; }",
        timeout=SYNC_TIMEOUT_MS,
    )


def quiesce(page: Any) -> None:
    """Let the page's last requests (the queue refreshing kept pages) finish and stop its timers
    before the test's database is flushed: the live server must not be mid-request then."""
    page.wait_for_load_state("networkidle")
    page.goto("about:blank")


def field_ready(page: Any) -> None:
    """The page's queue has wired its forms (``field.js`` marks <html>): waited on instead of the
    page's load event, which also waits for every style sheet and font."""
    page.wait_for_selector("html[data-field-ready]", state="attached")


# Type the receiver's name and phone, tap the confirm button, and resolve when the page says the
# confirmation is kept on the phone (or received): one round trip to the browser instead of four,
# and an event to wait on (the note shown) rather than a poll.
SUBMIT = """([name, phone]) => new Promise((resolve) => {
  const form = document.getElementById("pod-form");
  form.elements.received_by.value = name;
  form.elements.receiver_phone.value = phone;
  const shown = () => document.querySelector("#pod-recorded:not(.d-none), #pod-sent:not(.d-none)");
  const watch = new MutationObserver(() => { if (shown()) { watch.disconnect(); resolve(true); } });
  watch.observe(document.body, {attributes: true, subtree: true, attributeFilter: ["class"]});
  document.getElementById("pod-submit").click();
})"""


def confirm_delivery(page: Any, shipment: Shipment, index: int, photos: dict[int, str]) -> None:
    field_ready(page)
    if index % 4 == 0:  # with a photo: through Playwright's own input, as a person picks a file
        data = photo(index)
        photos[shipment.pk] = sha256(data)
        page.set_input_files("#p-photo", files=[{"name": f"pod{index}.png", "mimeType": "image/png", "buffer": data}])
    page.evaluate(SUBMIT, [f"收货人{index:03d}", "13800000000"])


@pytest.mark.django_db(transaction=True)
def test_a_driver_records_deliveries_offline_and_each_arrives_once(base, live_server, new_page):
    shipments = shipments_on_the_way(DELIVERIES)
    page = new_page(phone=True)
    context = page.context
    login(page, live_server.url, "driver")
    page.goto(live_server.url + "/fleet/my-shipments/")
    worker_ready(page)
    page.reload()  # now through the worker, which keeps every delivery page of the list
    page.wait_for_function(
        f"() => document.documentElement.getAttribute('data-kept-offline') === '{DELIVERIES}'", timeout=SYNC_TIMEOUT_MS
    )
    assert page.locator("a[data-keep-offline]").count() == DELIVERIES

    rng = random.Random(23)
    photos: dict[int, str] = {}
    context.set_offline(True)
    offline = True
    for index, shipment in enumerate(shipments):
        if rng.random() < 0.08:  # the network comes and goes
            offline = not offline
            context.set_offline(offline)
        page.goto(f"{live_server.url}/d/{shipment.pod_token}/", wait_until="commit")
        confirm_delivery(page, shipment, index, photos)
        if index == 5 and offline:
            assert pending(page) >= 1
            shot(page, "offline", "delivery-queued")
        if rng.random() < 0.15:
            page.reload(wait_until="commit")
            field_ready(page)
    context.set_offline(True)
    page.goto(live_server.url + "/fleet/my-shipments/")  # the list itself opens without network
    page.wait_for_selector("#my-shipments")
    # every confirmation is on the server or waiting on the phone (both, when the network dropped
    # after the server recorded it but before its answer came back: the replay is answered once)
    recorded_during_drops = Shipment.objects.filter(status=ShipmentStatus.DELIVERED).count()
    assert DELIVERIES - recorded_during_drops <= pending(page) <= DELIVERIES - recorded_during_drops + 1
    assert recorded_during_drops < DELIVERIES

    context.set_offline(False)
    wait_synced(page)

    # a delivery page kept before its confirmation went out shows it received, not the form again
    context.set_offline(True)
    page.goto(f"{live_server.url}/d/{shipments[0].pod_token}/", wait_until="commit")
    page.wait_for_selector("#pod-sent:not(.d-none)")
    assert page.locator("#pod-form").is_hidden()
    context.set_offline(False)

    delivered = Shipment.objects.filter(pk__in=[s.pk for s in shipments])
    assert delivered.filter(status=ShipmentStatus.DELIVERED).count() == DELIVERIES  # 0 lost
    assert AuditEvent.objects.filter(verb="record_delivery").count() == DELIVERIES  # 0 twice
    assert len({s.delivery_client_token for s in delivered}) == DELIVERIES
    for shipment in delivered:
        assert shipment.received_by == f"收货人{[s.pk for s in shipments].index(shipment.pk):03d}"
        if shipment.pk in photos:
            with shipment.receiver_photo.open("rb") as f:
                assert sha256(f.read()) == photos[shipment.pk]
        else:
            assert not shipment.receiver_photo
    assert sorted(FieldPhoto.objects.values_list("sha256", flat=True)) == sorted(photos.values())
    assert len(photos) == (DELIVERIES + 3) // 4
    quiesce(page)


@pytest.mark.django_db(transaction=True)
def test_a_receivers_confirmation_made_offline_is_recorded_once(base, live_server, new_page):
    (shipment,) = shipments_on_the_way(1)
    page = new_page(phone=True)
    context = page.context
    url = f"{live_server.url}/d/{shipment.pod_token}/"
    page.goto(url)
    worker_ready(page)
    page.reload()  # kept by the worker
    context.set_offline(True)
    page.reload()  # opens without network
    page.wait_for_selector("#pod-form")
    lost_answers: list[str] = []

    def lose_first_answer(route: Any) -> None:
        # the first confirmation reaches the server, but its answer is lost on the way back
        if route.request.method == "POST" and not lost_answers:
            route.fetch()
            lost_answers.append(route.request.headers.get("idempotency-key", ""))
            route.abort("internetdisconnected")
        else:
            route.continue_()

    context.route(f"{live_server.url}/d/**", lose_first_answer)
    page.fill("[name=received_by]", "张护士长")
    page.fill("[name=receiver_phone]", "13800000000")
    page.click("#pod-submit")
    page.wait_for_selector("#pod-recorded:not(.d-none)")
    assert pending(page) == 1
    shot(page, "offline", "receiver-queued")
    page.goto(live_server.url + "/login/")  # a page never kept: the worker has no network either
    page.wait_for_selector("#offline-title")
    assert pending(page) == 1
    page.goto(url)  # still offline: the confirmation waits on the phone, the form is not offered again
    page.wait_for_selector("#pod-recorded:not(.d-none)")
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.IN_TRANSIT
    warnings: list[str] = []

    def refuse(dialog: Any) -> None:
        warnings.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", refuse)
    page.click("#field-clear")  # clearing the phone's notes warns before unsent records go
    page.wait_for_function("() => document.getElementById('field-queue').getAttribute('data-pending') === '1'")
    assert warnings and "未同步" in warnings[0]

    context.set_offline(False)
    wait_synced(page)
    page.wait_for_selector("#pod-sent:not(.d-none)")
    assert lost_answers and lost_answers[0]
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert shipment.received_by == "张护士长"
    assert shipment.delivery_client_token == lost_answers[0]
    assert AuditEvent.objects.filter(verb="record_delivery").count() == 1
    quiesce(page)


def lose_first_answer(lost: list[str]) -> Any:
    """A route handler: the first POST reaches the server, its answer is lost on the way back."""
    done: list[bool] = []

    def handle(route: Any) -> None:
        if route.request.method == "POST" and not done:
            done.append(True)
            route.fetch()
            lost.append(route.request.headers.get("idempotency-key", ""))
            route.abort("internetdisconnected")
        else:
            route.continue_()

    return handle


def staff(n: int) -> list[Any]:
    owner = Organisation.objects.get(code="CYGS")
    users = []
    for i in range(n):
        user = get_user_model().objects.create_user(f"staff{i:03d}", password="baogong-demo")  # noqa: S106
        people_actions.create_person(
            {"kind": "staff", "name": f"员工{i:03d}", "organisation": owner, "user": user}, actor=SYSTEM
        )
        users.append(user)
    return users


@pytest.mark.django_db(transaction=True)
def test_check_ins_made_offline_each_arrive_once(base, live_server, new_page):
    users = staff(CHECK_INS)
    rng = random.Random(5)
    lost_answers: list[str] = []
    for i, user in enumerate(users):
        page = new_page(phone=True)
        context = page.context
        login(page, live_server.url, user.username)
        page.goto(live_server.url + "/people/check-in/")
        worker_ready(page)
        page.reload()
        context.set_offline(True)
        page.reload()
        page.wait_for_selector("#check-form")
        if i % 3 == 0:  # the check-in reaches the server but its answer is lost: the phone sends it again
            context.route(f"{live_server.url}/people/check-in/", lose_first_answer(lost_answers))
        page.fill("[name=temperature]", f"36.{i % 10}")
        page.click("#check-form [type=submit]")
        page.wait_for_selector("#check-recorded:not(.d-none)")
        if i == 0:
            shot(page, "offline", "check-in-queued")
        for _drop in range(rng.randint(0, 2)):
            page.reload()
            page.wait_for_selector("#check-recorded:not(.d-none)")
        assert pending(page) == 1
        context.set_offline(False)
        wait_synced(page)
        page.wait_for_selector("#check-sent:not(.d-none)")
        quiesce(page)
        context.close()
    assert len(lost_answers) == (CHECK_INS + 2) // 3  # each of those was sent (at least) twice
    checks = HealthCheck.objects.filter(person__user__in=users)
    assert checks.count() == CHECK_INS
    assert sorted(str(c.temperature) for c in checks) == sorted(f"36.{i % 10}" for i in range(CHECK_INS))
    assert AuditEvent.objects.filter(verb="record_health_check").count() == CHECK_INS


@pytest.mark.django_db(transaction=True)
def test_a_confirmation_that_no_longer_fits_is_shown_as_a_conflict_for_the_dispatcher(base, live_server, new_page):
    from baogong.core.models import FieldConflict
    from baogong.distribution import actions
    from baogong.distribution.actions import DeliveryLineInput

    (shipment,) = shipments_on_the_way(1)
    page = new_page(phone=True)
    context = page.context
    url = f"{live_server.url}/d/{shipment.pod_token}/"
    page.goto(url)
    worker_ready(page)
    page.reload()
    context.set_offline(True)
    page.reload()
    page.fill("[name=received_by]", "张护士长")
    page.fill("[name=receiver_phone]", "13800000000")
    page.click("#pod-submit")
    page.wait_for_selector("#pod-recorded:not(.d-none)")
    line = shipment.lines.get()
    actions.record_delivery(  # meanwhile the ward's desk confirmed the same delivery online
        shipment,
        [DeliveryLineInput(line.pk, line.qty)],
        received_by="李主任",
        receiver_phone="13900000000",
        client_token="desk-1",
        actor=SYSTEM,
    )
    context.set_offline(False)
    wait_synced(page)
    page.wait_for_selector("#field-queue .field-conflict")
    assert "人工复核" in page.inner_text("#field-queue")
    assert page.locator("#pod-recorded").is_hidden()  # the page no longer says it waits
    shot(page, "offline", "receiver-conflict")
    shipment.refresh_from_db()
    assert shipment.received_by == "李主任"
    conflict = FieldConflict.objects.get()
    assert conflict.payload["收货人姓名"] == "张护士长" and conflict.payload["收货人电话"] != "13800000000"

    desk = new_page()
    login(desk, live_server.url, "dispatcher")
    desk.goto(live_server.url + "/field/conflicts/")
    desk.wait_for_selector(f"#conflict-{conflict.pk}")
    shot(desk, "offline", "conflicts")
    desk.fill(f"#res-{conflict.pk}", "已电话核实，以李主任签收为准")
    desk.click(f"#conflict-{conflict.pk} button[type=submit]")
    desk.wait_for_selector("#no-conflicts")
    assert FieldConflict.objects.get().status == FieldConflict.Status.RESOLVED
    quiesce(page)
