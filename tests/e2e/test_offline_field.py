"""The other field pages without network, as a fuel attendant, a warehouse keeper and a pharmacy
courier meet them on a phone: opened once online, the network cut (Chromium's offline emulation),
work recorded across reloads, the network back — each action arrives once, in order, and an action
that no longer fits its record (the stock moved, the order was handed over at the counter) waits
for a person's review instead of being applied. And logging out: the kept pages go, the unsent
records stay (after a warning) and are sent when the same person logs in again."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from baogong.core.models import AuditEvent, FieldConflict
from baogong.distribution.choices import ShipmentStatus
from baogong.distribution.models import Shipment
from baogong.fleet.models import FuelQueueTicket, FuelSale
from baogong.inventory import actions as inventory_actions
from baogong.inventory.models import StockBalance, StocktakeLine, Transfer
from baogong.orgs.models import Site
from baogong.pharmacy import actions as pharmacy_actions
from baogong.pharmacy.models import Order
from tests.e2e.conftest import login, shot
from tests.e2e.field_setup import (
    SYSTEM,
    fuel_tank,
    keeper_stock,
    orders_out_for_delivery,
    shipments_on_the_way,
)
from tests.e2e.test_offline import pending, quiesce, wait_synced, worker_ready


@pytest.fixture
def empty_balances_after():
    """SQLite's flush refuses to delete moves while balances exist (the ledger's trigger)."""
    yield
    from baogong.inventory.models import Reservation

    Reservation.objects.all().delete()
    StockBalance.objects.all().delete()


def open_offline(page: Any, url: str, ready: str) -> None:
    """Open ``url`` online (kept by the service worker), cut the network, open it again."""
    page.goto(url)
    worker_ready(page)
    page.reload()  # now through the worker, which keeps it
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector(ready)


def wait_pending(page: Any, n: int) -> None:
    page.wait_for_function(
        f"() => document.getElementById('field-queue').getAttribute('data-pending') === '{n}'", timeout=30_000
    )


@pytest.mark.django_db(transaction=True)
def test_the_fuel_attendants_arrivals_and_sales_made_offline_arrive_once_in_order(
    base, live_server, new_page, empty_balances_after
):
    tank = fuel_tank()
    page = new_page(phone=True)
    login(page, live_server.url, "fuel")
    open_offline(page, f"{live_server.url}/fleet/stations/{tank.station_id}/", "#arrival-form")
    plates = ["沪A10001", "沪A10002", "沪A10003"]
    for i, plate in enumerate(plates):
        page.fill("#arr-plate", plate)
        page.click("#arrival-form [type=submit]")
        wait_pending(page, i + 1)
        if i == 1:
            page.reload()  # a reload offline loses nothing
            page.wait_for_selector("#arrival-form")
    page.select_option("#id_tank", str(tank.pk))
    page.fill("#id_plate", "沪B20001")
    page.fill("#id_litres", "50")
    page.fill("#id_unit_price", "7.80")
    page.click("#sale-form [type=submit]")
    wait_pending(page, 4)
    assert "待同步 4 条" in page.inner_text("#field-queue")
    assert page.input_value("#arr-plate") == ""  # the form is ready for the next vehicle
    shot(page, "offline", "fuel-queued")

    with page.expect_navigation():  # once what it sent has gone out, the page shows the server's queue
        page.context.set_offline(False)
    wait_synced(page)
    for plate in plates:
        page.wait_for_selector(f"ol li:has-text('{plate}')")
    tickets = list(FuelQueueTicket.objects.filter(station_id=tank.station_id).order_by("arrived_at", "pk"))
    assert [t.plate for t in tickets] == plates  # 0 lost, in the order they came
    assert FuelSale.objects.get().litres == 50
    assert AuditEvent.objects.filter(verb="arrive_at_station").count() == 3  # 0 twice
    assert AuditEvent.objects.filter(verb="sell_fuel").count() == 1
    quiesce(page)


@pytest.mark.django_db(transaction=True)
def test_the_keepers_put_aways_and_counts_made_offline_arrive_once_and_a_stale_one_waits_for_review(
    base, live_server, new_page, empty_balances_after
):
    bin_a, (first, second, third) = keeper_stock(batches=3, qty=20)
    txq = Site.objects.get(code="WH-TXQ")
    stocktake = inventory_actions.start_stocktake(txq, actor=SYSTEM)
    counted = StocktakeLine.objects.get(stocktake=stocktake, lot=first.lot)
    page = new_page(phone=True)
    login(page, live_server.url, "warehouse")
    page.goto(f"{live_server.url}/inventory/stocktakes/{stocktake.pk}/")
    worker_ready(page)
    page.reload()  # the count sheet is kept too
    open_offline(page, f"{live_server.url}/inventory/put-away/", "#put-away")

    def put(balance: Any, qty: int, n: int) -> None:
        page.select_option(f"#bin-{balance.pk}", str(bin_a.pk))
        page.fill(f"#qty-{balance.pk}", str(qty))
        page.click(f"#put-{balance.pk} [type=submit]")
        wait_pending(page, n)

    put(second, 5, 1)
    put(second, 15, 2)  # the same row again, the rest of the batch
    put(third, 20, 3)
    shot(page, "offline", "put-away-queued")
    page.goto(f"{live_server.url}/inventory/stocktakes/{stocktake.pk}/")  # the sheet opens offline
    page.fill(f"[name=count-{counted.pk}]", "19")
    page.click("#count-save")
    wait_pending(page, 4)
    # meanwhile a colleague put most of the third batch away online
    other = inventory_actions.create_location(txq, code="B-01", name="B-01", actor=SYSTEM)
    inventory_actions.put_away(third.pk, other, 12, actor=SYSTEM)

    with page.expect_navigation():  # the count sheet shows the saved counts once they went out
        page.context.set_offline(False)
    wait_synced(page)
    page.wait_for_selector("#field-queue .field-conflict")
    assert page.input_value(f"[name=count-{counted.pk}]") == "19"
    assert StockBalance.objects.get(location=bin_a, lot=second.lot).on_hand == 20  # 5 + 15, each once
    assert not StockBalance.objects.filter(location=bin_a, lot=third.lot).exists()  # not applied over it
    assert StockBalance.objects.get(pk=third.pk).on_hand == 8
    assert Transfer.objects.count() == 3  # two from the phone, one from the colleague
    assert StocktakeLine.objects.get(pk=counted.pk).counted_qty == 19
    conflict = FieldConflict.objects.get()
    assert conflict.kind == "put_away" and conflict.current == "8"
    quiesce(page)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_couriers_hand_overs_made_offline_arrive_once_and_one_handed_over_at_the_counter_waits_for_review(
    base, live_server, new_page, empty_balances_after
):
    delivered, failed, at_counter = orders_out_for_delivery(3)
    page = new_page(phone=True)
    login(page, live_server.url, "driver")
    open_offline(page, f"{live_server.url}/pharmacy/deliveries/", "#my-deliveries")
    page.fill(f"#deliver-{delivered.pk} [name=code]", delivered.handover_code)
    page.click(f"#deliver-{delivered.pk} [type=submit]")
    page.wait_for_selector(f"#recorded-{delivered.pk}:not(.d-none)")
    assert page.locator(f"#fail-{delivered.pk}").is_hidden()  # one hand-over per order
    page.reload()
    page.wait_for_selector(f"#recorded-{delivered.pk}:not(.d-none)")  # still waiting, not offered again
    page.fill(f"#fail-{failed.pk} [name=reason]", "无人应门")
    page.click(f"#fail-{failed.pk} [type=submit]")
    page.fill(f"#deliver-{at_counter.pk} [name=code]", at_counter.handover_code)
    page.click(f"#deliver-{at_counter.pk} [type=submit]")
    wait_pending(page, 3)
    shot(page, "offline", "courier-queued")
    # meanwhile the third resident fetched the drugs at the pharmacy's counter
    pharmacist = get_user_model().objects.get(username="pharmacist")
    pharmacy_actions.confirm_delivery(at_counter, at_counter.handover_code, actor=pharmacist)

    page.context.set_offline(False)
    wait_synced(page)
    page.wait_for_selector("#field-queue .field-conflict")
    statuses = dict(
        Order.objects.filter(pk__in=[o.pk for o in (delivered, failed, at_counter)]).values_list("pk", "status")
    )
    assert statuses == {delivered.pk: "delivered", failed.pk: "delivery_failed", at_counter.pk: "delivered"}
    assert AuditEvent.objects.filter(verb="confirm_delivery").count() == 2  # the phone's one and the counter's
    assert AuditEvent.objects.filter(verb="record_delivery_failure").count() == 1
    conflict = FieldConflict.objects.get()
    assert conflict.kind == "pharmacy_handover" and conflict.site_id == at_counter.pharmacy_id
    quiesce(page)


@pytest.mark.django_db(transaction=True)
def test_logging_out_drops_the_kept_pages_and_keeps_unsent_records_after_a_warning(base, live_server, new_page):
    (shipment,) = shipments_on_the_way(1)
    page = new_page()
    context = page.context
    login(page, live_server.url, "driver")
    page.goto(live_server.url + "/fleet/my-shipments/")
    worker_ready(page)
    page.reload()
    page.wait_for_function("() => document.documentElement.getAttribute('data-kept-offline') === '1'")
    context.set_offline(True)
    page.goto(f"{live_server.url}/d/{shipment.pod_token}/")
    page.fill("[name=received_by]", "张护士长")
    page.fill("[name=receiver_phone]", "13800000000")
    page.click("#pod-submit")
    page.wait_for_selector("#pod-recorded:not(.d-none)")
    page.goto(live_server.url + "/fleet/my-shipments/")
    page.wait_for_selector("#my-shipments")
    # the network is back, but the confirmation cannot get through yet (the server is unreachable)
    context.route(
        f"{live_server.url}/d/**", lambda route: route.abort() if route.request.method == "POST" else route.continue_()
    )
    context.set_offline(False)
    page.reload()
    page.wait_for_selector("form[data-logout]", state="attached")
    assert pending(page) == 1

    # the phone asks first (a confirm dialog, answered as it opens: the tap waits for no answer)
    warnings: list[str] = []

    def stay(dialog: Any) -> None:
        warnings.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", stay)
    with page.expect_event("dialog"):
        page.click("form[data-logout] [type=submit]")
    assert warnings and "1" in warnings[0] and "未发送" in warnings[0]
    page.wait_for_selector("form[data-logout]")
    assert page.url.endswith("/fleet/my-shipments/")  # the driver chose to stay

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("form[data-logout] [type=submit]")
    page.wait_for_selector("input[name=username]")
    assert not page.evaluate("caches.has('baogong-pages')")  # the next person sees none of it
    kept = page.evaluate(
        """() => new Promise(resolve => { const r = indexedDB.open('baogong-field');
             r.onsuccess = () => { const all = r.result.transaction('events').objectStore('events').getAll();
               all.onsuccess = () => resolve(all.result.filter(e => e.state === 'pending').length); }; })"""
    )
    assert kept == 1  # the unsent confirmation stays on the phone
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.IN_TRANSIT

    context.unroute(f"{live_server.url}/d/**")
    login(page, live_server.url, "driver")
    page.goto(live_server.url + "/fleet/my-shipments/")
    wait_synced(page)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED and shipment.received_by == "张护士长"
    assert AuditEvent.objects.filter(verb="record_delivery").count() == 1
    quiesce(page)
