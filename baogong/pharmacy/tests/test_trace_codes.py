"""药品追溯码 through the chain: received at the pharmacy, dispensed once for an order; a code
dispensed twice, of a recalled lot, or never received is refused field by field and raised to QC."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import translation

from baogong.catalog import actions as catalog_actions
from baogong.core.errors import NotFound
from baogong.core.models import AuditEvent, Notification
from baogong.core.tests.threads import run_threads
from baogong.inventory import actions as inventory_actions
from baogong.inventory.choices import QcStatus, TraceCodeStatus, TraceSignalKind
from baogong.inventory.models import Lot, TraceCode, TraceSignal
from baogong.inventory.trace import PackInput, TraceCodeRefused
from baogong.orgs.models import Site
from baogong.pharmacy import actions
from baogong.pharmacy.actions.dispensing import dispense_trace_codes

PREFIX = "8123456"


def codes(n: int, start: int = 1) -> list[str]:
    return [f"{PREFIX}{i:09d}5678" for i in range(start, start + n)]


@pytest.fixture
def ready_order(make_drug, stock, order_input, system, user):
    """An OTC order of 2 packs at PH-02, approved (picked); 4 packs' codes received there."""
    drug = make_drug("维生素C片")
    catalog_actions.update_item(drug.item, {"trace_prefix": PREFIX}, actor=system)
    stock("PH-02", drug, 10)
    ph02 = Site.objects.get(code="PH-02")
    lot = Lot.objects.get(item=drug.item, batch="B1")
    inventory_actions.receive_trace_codes(ph02, lot, [PackInput(c) for c in codes(4)], reference="GR-1", actor=system)
    order = actions.place_order(order_input([(drug, 2)]), actor=system)[0]
    actions.approve_order(order, actor=user("pharmacist"))
    order.refresh_from_db()
    return order, lot


def another_ready_order(ready_order, order_input, system, user):
    order, lot = ready_order
    drug = order.lines.get().drug
    other = actions.place_order(order_input([(drug, 2)], resident_name="李四"), actor=system)[0]
    actions.approve_order(other, actor=user("pharmacist"))
    other.refresh_from_db()
    return other


def refusal(call) -> TraceCodeRefused:
    with pytest.raises(TraceCodeRefused) as info:
        call()
    return info.value


def test_dispensing_records_each_pack_once_with_its_order(ready_order, user):
    order, lot = ready_order
    pharmacist = user("pharmacist")
    rows = dispense_trace_codes(order, codes(2), actor=pharmacist)
    assert sorted(r.code for r in rows) == codes(2)
    row = TraceCode.objects.get(code=codes(1)[0])
    assert (row.status, row.dispensed_reference, row.dispensed_document_id, row.dispensed_by) == (
        TraceCodeStatus.DISPENSED,
        order.number,
        order.pk,
        pharmacist,
    )
    assert AuditEvent.objects.filter(verb="dispense_trace_code", actor=pharmacist).count() == 2


def test_a_code_dispensed_twice_is_refused_and_raised_to_qc(ready_order, order_input, system, user):
    order, lot = ready_order
    pharmacist = user("pharmacist")
    dispense_trace_codes(order, codes(1), actor=pharmacist)
    other = another_ready_order(ready_order, order_input, system, user)
    error = refusal(lambda: dispense_trace_codes(other, [codes(1)[0], codes(1, 2)[0]], actor=pharmacist))
    messages = error.details["trace_codes"]
    assert len(messages) == 1 and codes(1)[0] in messages[0] and order.number in messages[0]
    # nothing of the refused call was written: the good second code is still in stock
    assert TraceCode.objects.get(code=codes(1, 2)[0]).status == TraceCodeStatus.IN_STOCK
    signal = TraceSignal.objects.get()
    assert (signal.kind, signal.code, signal.reference, signal.lot) == (
        TraceSignalKind.DISPENSED_TWICE,
        codes(1)[0],
        other.number,
        lot,
    )
    lot.refresh_from_db()
    assert lot.is_suspected_counterfeit
    assert Notification.objects.filter(title__contains=codes(1)[0], level="critical").exists()
    assert AuditEvent.objects.filter(verb="raise_trace_signal").count() == 1


def test_a_code_never_received_and_a_recalled_lot_are_blocked(ready_order, system, user):
    order, lot = ready_order
    stranger = "89999990000000012345"
    inventory_actions.set_lot_qc_status(lot, QcStatus.QUARANTINED, reason="召回", actor=system)
    error = refusal(lambda: dispense_trace_codes(order, [stranger, codes(1)[0]], actor=user("pharmacist")))
    assert len(error.details["trace_codes"]) == 2
    kinds = dict(TraceSignal.objects.values_list("code", "kind"))
    assert kinds == {stranger: TraceSignalKind.NEVER_RECEIVED, codes(1)[0]: TraceSignalKind.RECALLED_LOT}


@pytest.mark.parametrize(
    ("scanned", "words"),
    [
        (["123"], "20 digits"),
        ([codes(1)[0], codes(1)[0]], "twice"),
        (codes(3), "3 packs"),
        ([], "at least one"),
    ],
)
def test_mistakes_are_refused_without_a_signal(ready_order, user, scanned, words):
    order, _lot = ready_order
    with translation.override("en"):
        error = refusal(lambda: dispense_trace_codes(order, scanned, actor=user("pharmacist")))
        messages = [str(m) for m in error.details["trace_codes"]]
    assert any(words in m for m in messages), messages
    assert not TraceSignal.objects.exists()
    assert not TraceCode.objects.filter(status=TraceCodeStatus.DISPENSED).exists()


def test_receipt_refuses_a_known_code_another_product_and_raises_a_returned_drug(ready_order, system, user):
    order, lot = ready_order
    ph02 = order.pharmacy
    dispense_trace_codes(order, codes(1), actor=user("pharmacist"))
    error = refusal(
        lambda: inventory_actions.receive_trace_codes(
            ph02,
            lot,
            [PackInput(codes(1)[0]), PackInput(codes(1, 2)[0]), PackInput("81111110000000011234")],
            reference="GR-2",
            actor=system,
        )
    )
    messages = error.details["trace_codes"]
    assert len(messages) == 3
    assert TraceSignal.objects.get().kind == TraceSignalKind.RETURNED_AFTER_DISPENSING


def test_an_aggregation_code_receives_its_packs_and_moves_with_a_transfer(base, make_drug, stock, system, user):
    drug = make_drug("阿莫西林胶囊")
    stock("PH-01", drug, 5)
    source = Site.objects.get(code="PH-01")
    lot = Lot.objects.get(item=drug.item, batch="B1")
    case, *packs = codes(4, start=100)
    inventory_actions.receive_trace_codes(source, lot, [PackInput(case, packs)], reference="GR-9", actor=system)
    assert TraceCode.objects.get(code=case).children.count() == 3
    destination = Site.objects.get(code="PH-02")
    balance = lot.balances.filter(location__site=source).first()
    transfer = inventory_actions.transfer_stock(
        source,
        [inventory_actions.TransferLineInput(lot=lot, from_location=balance.location, qty=3)],
        destination=destination,
        trace_codes=[case],
        actor=system,
    )
    assert set(TraceCode.objects.filter(code__in=[case, *packs]).values_list("site", "status")) == {
        (destination.pk, TraceCodeStatus.IN_TRANSIT)
    }
    inventory_actions.receive_transfer(transfer, actor=system)
    assert set(TraceCode.objects.filter(code__in=[case, *packs]).values_list("status", flat=True)) == {
        TraceCodeStatus.IN_STOCK
    }


def test_another_pharmacys_order_is_not_there(ready_order, user):
    order, _lot = ready_order
    with pytest.raises(NotFound):
        dispense_trace_codes(order, codes(1), actor=user("warehouse"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_pharmacists_dispensing_the_same_code_at_once_one_succeeds(make_drug, stock, order_input, system, user):
    assert connection.vendor == "postgresql"
    catalog_actions.ensure_categories(actor=system)
    drug = make_drug("对乙酰氨基酚片")
    stock("PH-02", drug, 10)
    lot = Lot.objects.get(item=drug.item, batch="B1")
    ph02 = Site.objects.get(code="PH-02")
    inventory_actions.receive_trace_codes(ph02, lot, [PackInput(codes(1)[0])], reference="GR-1", actor=system)
    orders = []
    for name in ("张三", "李四"):
        placed = actions.place_order(order_input([(drug, 1)], resident_name=name), actor=system)[0]
        actions.approve_order(placed, actor=user("pharmacist"))
        orders.append(placed)
    pharmacist = user("pharmacist")
    refused: list[int] = []

    def body(i: int) -> None:
        try:
            dispense_trace_codes(orders[i], codes(1), actor=pharmacist)
        except TraceCodeRefused:
            refused.append(i)

    assert run_threads(2, body) == []
    assert len(refused) == 1
    row = TraceCode.objects.get(code=codes(1)[0])
    assert row.dispensed_reference == orders[1 - refused[0]].number
    assert TraceSignal.objects.get().kind == TraceSignalKind.DISPENSED_TWICE


def test_from_a_code_the_lookup_links_its_receipt_supplier_and_order(ready_order, client, user):
    order, lot = ready_order
    dispense_trace_codes(order, codes(1), actor=user("pharmacist"))
    client.force_login(user("pharmacist"))
    page = client.get("/inventory/trace/", {"code": codes(1)[0]}).content.decode()
    assert f'href="/pharmacy/orders/{order.pk}/"' in page and order.number in page
    assert "GR-1" in page and f"/inventory/lots/{lot.pk}/" in page
    # the order page lists the pack and links back to the lookup
    detail = client.get(f"/pharmacy/orders/{order.pk}/").content.decode()
    assert f"/inventory/trace/?code={codes(1)[0]}" in detail
    # another organisation's keeper does not see it
    client.force_login(user("warehouse"))
    other = client.get("/inventory/trace/", {"code": codes(1)[0]}).content.decode()
    assert 'id="trace-unknown"' in other and order.number not in other


def test_the_pharmacist_records_codes_on_the_order_page_and_sees_a_refusal(ready_order, client, user):
    order, _lot = ready_order
    client.force_login(user("pharmacist"))
    response = client.post(f"/pharmacy/orders/{order.pk}/dispense/", {"codes": f"{codes(1)[0]}\n123"}, follow=True)
    assert "20" in response.content.decode()
    assert not TraceCode.objects.filter(status=TraceCodeStatus.DISPENSED).exists()
    client.post(f"/pharmacy/orders/{order.pk}/dispense/", {"codes": "\n".join(codes(2))})
    assert TraceCode.objects.filter(status=TraceCodeStatus.DISPENSED, dispensed_reference=order.number).count() == 2


def test_the_receipt_page_records_packs_under_an_aggregation_code(ready_order, client, user):
    order, lot = ready_order
    client.force_login(user("pharmacist"))
    case, *packs = codes(3, start=50)
    response = client.post(
        "/inventory/trace/receive/",
        {
            "warehouse": order.pharmacy.pk,
            "reference": "GR-7",
            "item": lot.item.code,
            "batch": lot.batch,
            "aggregate": case,
            "trace_codes": "\n".join(packs),
        },
    )
    assert response.status_code == 302
    assert set(TraceCode.objects.get(code=case).children.values_list("code", flat=True)) == set(packs)
    again = client.post(
        "/inventory/trace/receive/",
        {"warehouse": order.pharmacy.pk, "item": lot.item.code, "batch": lot.batch, "trace_codes": packs[0]},
    )
    assert again.status_code == 400 and "GR-7" in again.content.decode()


def test_the_api_receives_codes_and_refuses_a_duplicate_at_dispensing(ready_order, order_input, system, user):
    from rest_framework.test import APIClient

    order, lot = ready_order
    api = APIClient()
    api.force_authenticate(user("pharmacist"))
    received = api.post(
        "/api/v1/inventory/trace-codes/",
        {"warehouse": order.pharmacy.code, "item": lot.item.code, "lot": lot.batch, "codes": codes(2, start=20)},
        format="json",
    )
    assert received.status_code == 201 and received.json() == {"received": 2}
    first = api.post(f"/api/v1/pharmacy/orders/{order.pk}/trace-codes/", {"codes": codes(1, start=20)}, format="json")
    assert first.status_code == 201 and first.json()["codes"] == codes(1, start=20)
    other = another_ready_order(ready_order, order_input, system, user)
    again = api.post(f"/api/v1/pharmacy/orders/{other.pk}/trace-codes/", {"codes": codes(1, start=20)}, format="json")
    body = again.json()
    assert again.status_code == 400 and body["code"] == "trace_code_refused"
    assert order.number in body["details"]["trace_codes"][0]
    assert TraceSignal.objects.get().kind == TraceSignalKind.DISPENSED_TWICE
