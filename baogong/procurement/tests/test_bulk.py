"""Bulk actions of procurement (core.bulk, issue 22.4): approve many purchase orders, each through
``approve_order`` (the approver's level and maker ≠ checker per order), and decide many lots
waiting for inspection through ``inspect_lot``; a result per row, every decision audited."""

from __future__ import annotations

import pytest

from baogong.core.models import AuditEvent
from baogong.inventory.choices import QcStatus
from baogong.procurement import actions
from baogong.procurement.models import ApprovalLevel, Inspection

from .conftest import receive
from .test_orders import line

pytestmark = pytest.mark.django_db


def _bulk(client, action, ids, **extra):
    return client.post("/bulk/", {"action": action, "ids": [str(i) for i in ids], **extra})


def test_approve_many_orders_where_the_approver_may(user, make_supplier, items, client_for):
    # given two orders waiting for level 1, one raised by the procurement officer, one by the commander
    supplier = make_supplier()
    level = ApprovalLevel.objects.create(organisation=supplier.organisation, level=1, name="经理", min_amount=0)
    level.approvers.add(user("procurement"), user("commander"))
    own = actions.submit_order(
        actions.create_order(supplier.organisation, supplier, [line(items["mask"])], actor=user("procurement")),
        actor=user("procurement"),
    )
    other = actions.submit_order(
        actions.create_order(supplier.organisation, supplier, [line(items["mask"], 20)], actor=user("commander")),
        actor=user("commander"),
    )
    client = client_for("procurement")
    # the list offers the bulk approval with a checkbox on each order waiting for approval
    page = client.get("/procurement/orders/").content.decode()
    assert 'value="procurement.approve_orders"' in page and f'name="ids" value="{own.pk}"' in page
    # when the procurement officer approves both at once
    answer = _bulk(client, "procurement.approve_orders", [own.pk, other.pk])
    # then the commander's order is approved, the officer's own is refused (maker ≠ checker)
    assert answer.status_code == 200
    results = {r.pk: r for r in answer.context["results"]}
    assert results[other.pk].ok and not results[own.pk].ok
    assert "自己" in results[own.pk].message
    own.refresh_from_db()
    other.refresh_from_db()
    assert (own.status, other.status) == ("pending_approval", "approved")
    assert AuditEvent.objects.filter(verb="approve_order").count() == 1


@pytest.fixture
def waiting(user, make_supplier, items):
    """Two lots waiting for inspection: rice (no registration number needed) and an antigen kit."""
    supplier = make_supplier(categories=("food", "ivd"), licences=("business", "device_business", "food_business"))
    receipts = {}
    for key, price in (("rice", "55.00"), ("antigen", "480.00")):
        order = actions.submit_order(
            actions.create_order(
                supplier.organisation, supplier, [line(items[key], 10, price)], actor=user("procurement")
            ),
            actor=user("procurement"),
        )
        receipts[key] = receive(user, order, f"B-{key}")[0]
    return receipts


def test_release_many_lots_refuses_those_with_findings(waiting, client_for):
    client = client_for("qc")
    page = client.get("/procurement/inspections/").content.decode()
    assert 'value="procurement.release_lots"' in page and 'name="reason"' in page
    # when both are released as received
    answer = _bulk(client, "procurement.release_lots", [waiting["rice"].pk, waiting["antigen"].pk])
    # then the rice is released; the antigen kit is refused (inspected box by box), with why
    results = {r.pk: r for r in answer.context["results"]}
    assert results[waiting["rice"].pk].ok
    assert not results[waiting["antigen"].pk].ok and "抗原" in results[waiting["antigen"].pk].message
    waiting["rice"].lot.refresh_from_db()
    waiting["antigen"].lot.refresh_from_db()
    assert (waiting["rice"].lot.qc_status, waiting["antigen"].lot.qc_status) == (QcStatus.RELEASED, QcStatus.PENDING)
    assert list(Inspection.objects.values_list("lot__batch", "decision")) == [("B-rice", "release")]
    assert AuditEvent.objects.filter(verb="inspect_lot").count() == 1


def test_reject_many_lots_needs_a_reason(waiting, client_for):
    client = client_for("qc")
    ids = [waiting["rice"].pk, waiting["antigen"].pk]
    # without a reason: refused, nothing decided
    refused = _bulk(client, "procurement.reject_lots", ids)
    assert refused.status_code == 400 and "请填写“拒收”的原因。" in refused.content.decode()
    assert not Inspection.objects.exists()
    # with one: both rejected with that reason, each audited
    answer = _bulk(client, "procurement.reject_lots", ids, reason="外包装破损受潮")
    assert all(r.ok for r in answer.context["results"])
    assert sorted(Inspection.objects.values_list("lot__batch", "decision", "reason")) == [
        ("B-antigen", "reject", "外包装破损受潮"),
        ("B-rice", "reject", "外包装破损受潮"),
    ]
    assert AuditEvent.objects.filter(verb="inspect_lot").count() == 2


def test_bulk_inspection_needs_the_permission(waiting, client_for):
    answer = _bulk(client_for("procurement"), "procurement.release_lots", [waiting["rice"].pk])
    assert answer.status_code == 403
    assert not Inspection.objects.exists()
