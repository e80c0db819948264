import datetime as dt
from decimal import Decimal

import pytest

from baogong.core.models import AuditEvent, Notification
from baogong.orgs.models import Organisation, Site
from baogong.procurement import actions
from baogong.procurement.choices import SupplierStatus
from baogong.procurement.errors import (
    NotAnApprover,
    OrderInvalid,
    OrderStateInvalid,
    PriceReasonRequired,
    SupplierNotQualified,
)
from baogong.procurement.models import ApprovalLevel, PurchaseOrder

from .conftest import OTHER_USCC


def line(item, qty=10, price="100.00", reason="", warehouse="WH-BY", days=3):
    return actions.OrderLineInput(
        item=item,
        qty=qty,
        unit_price=Decimal(price),
        delivery_date=dt.date.today() + dt.timedelta(days=days),
        warehouse=Site.objects.get(code=warehouse),
        price_reason=reason,
    )


def test_create_order_is_a_draft_requisition_with_its_total(user, make_supplier, items):
    supplier = make_supplier()
    order = actions.create_order(
        supplier.organisation, supplier, [line(items["mask"], 20, "110.00")], actor=user("procurement")
    )
    assert order.status == "draft"
    assert order.total == Decimal("2200.00")
    order_line = order.lines.get()
    assert (order_line.reference_price, order_line.last_price, order_line.is_price_flagged) == (
        Decimal("100.00"),
        None,
        False,
    )
    event = AuditEvent.objects.get(verb="create_order", object_id=str(order.pk))
    assert event.after["total"] == "2200.00"


def test_cannot_order_from_a_pending_supplier(user, make_supplier, items):
    supplier = make_supplier(approve=False)
    with pytest.raises(SupplierNotQualified) as exc:
        actions.create_order(supplier.organisation, supplier, [line(items["mask"])], actor=user("procurement"))
    problems = exc.value.details["supplier"]
    assert len(problems) == 1
    assert "上海康安医疗器械有限公司" in problems[0] and str(SupplierStatus.PENDING.label) in problems[0]
    assert not PurchaseOrder.objects.exists()


def test_cannot_order_an_item_outside_the_suppliers_categories(user, make_supplier, items):
    supplier = make_supplier(categories=("protective",))
    with pytest.raises(SupplierNotQualified) as exc:
        actions.create_order(
            supplier.organisation,
            supplier,
            [line(items["mask"]), line(items["antigen"], price="480")],
            actor=user("procurement"),
        )
    problems = exc.value.details["supplier"]
    assert len(problems) == 1
    assert "体外诊断" in problems[0] or "in-vitro" in problems[0].lower()
    assert not PurchaseOrder.objects.exists()


def test_category_licence_expired_since_approval_refuses_the_order(user, make_supplier, items):
    supplier = make_supplier(categories=("protective", "food"), licences=("business", "device_business"), approve=False)
    actions.add_licence(
        supplier,
        {"kind": "food_business", "number": "JY13101130000001", "expires_on": dt.date.today() + dt.timedelta(days=1)},
        actor=user("procurement"),
    )
    supplier = actions.approve_supplier(supplier, actor=user("commander"))
    supplier.licences.filter(kind="food_business").update(expires_on=dt.date.today() - dt.timedelta(days=1))
    with pytest.raises(SupplierNotQualified) as exc:
        actions.create_order(
            supplier.organisation, supplier, [line(items["rice"], price="60")], actor=user("procurement")
        )
    problems = exc.value.details["supplier"]
    assert len(problems) == 1
    assert "JY13101130000001" in problems[0]


def test_gouging_price_needs_a_recorded_reason(user, make_supplier, items):
    supplier = make_supplier()
    with pytest.raises(PriceReasonRequired) as exc:
        actions.create_order(
            supplier.organisation, supplier, [line(items["mask"], price="131.00")], actor=user("procurement")
        )
    message = exc.value.details["lines[0]"]["price_reason"][0]
    assert "131.00" in message and "31.00" in message and "100.00" in message
    assert not PurchaseOrder.objects.exists()
    order = actions.create_order(
        supplier.organisation,
        supplier,
        [line(items["mask"], price="131.00", reason="全市断货，仅此一家有现货")],
        actor=user("procurement"),
    )
    order_line = order.lines.get()
    assert order_line.is_price_flagged is True
    assert order_line.price_reason == "全市断货，仅此一家有现货"


def test_price_at_exactly_the_markup_needs_no_reason(user, make_supplier, items):
    supplier = make_supplier()
    order = actions.create_order(
        supplier.organisation, supplier, [line(items["mask"], price="130.00")], actor=user("procurement")
    )
    assert order.lines.get().is_price_flagged is False


def test_markup_is_configurable_and_checked_against_the_last_purchase(user, make_supplier, items):
    from baogong.procurement.models import ProcurementPolicy

    supplier = make_supplier()
    ProcurementPolicy.objects.create(organisation=supplier.organisation, max_markup_percent=Decimal("10"))
    first = actions.create_order(
        supplier.organisation, supplier, [line(items["mask"], price="80.00")], actor=user("procurement")
    )
    actions.submit_order(first, actor=user("procurement"))
    with pytest.raises(PriceReasonRequired) as exc:
        actions.create_order(
            supplier.organisation, supplier, [line(items["mask"], price="95.00")], actor=user("procurement")
        )
    message = exc.value.details["lines[0]"]["price_reason"][0]
    assert "80.00" in message
    assert "100.00" not in message


def test_warehouse_outside_scope_is_refused(user, make_supplier, items):
    supplier = make_supplier()
    with pytest.raises(OrderInvalid) as exc:
        actions.create_order(
            supplier.organisation, supplier, [line(items["mask"], warehouse="WH-TXQ")], actor=user("procurement")
        )
    assert "warehouse" in exc.value.details["lines[0]"]


def test_submit_without_levels_places_the_order(user, place_order):
    order = place_order()
    assert order.status == "approved"
    assert order.approved_at is not None
    assert AuditEvent.objects.filter(verb="submit_order", object_id=str(order.pk)).count() == 1


def test_approval_levels_by_amount_in_order_by_named_approvers(user, make_supplier, items):
    supplier = make_supplier()
    org = supplier.organisation
    level1 = ApprovalLevel.objects.create(organisation=org, level=1, name="部门经理", min_amount=Decimal("0"))
    level1.approvers.add(user("commander"))
    level2 = ApprovalLevel.objects.create(organisation=org, level=2, name="总经理", min_amount=Decimal("10000"))
    level2.approvers.add(user("qc"))
    small = actions.create_order(org, supplier, [line(items["mask"], 10)], actor=user("procurement"))
    small = actions.submit_order(small, actor=user("procurement"))
    assert small.status == "pending_approval"
    small = actions.approve_order(small, actor=user("commander"))
    assert small.status == "approved"

    big = actions.create_order(org, supplier, [line(items["mask"], 200)], actor=user("procurement"))
    big = actions.submit_order(big, actor=user("procurement"))
    with pytest.raises(NotAnApprover) as exc:
        actions.approve_order(big, actor=user("qc"))
    assert "commander" in str(exc.value.message)
    big = actions.approve_order(big, actor=user("commander"))
    assert big.status == "pending_approval"
    big = actions.approve_order(big, actor=user("qc"))
    assert big.status == "approved"
    assert list(big.approvals.values_list("level", "approver__username")) == [(1, "commander"), (2, "qc")]


def test_requester_cannot_approve_their_own_order(user, make_supplier, items):
    supplier = make_supplier()
    level = ApprovalLevel.objects.create(organisation=supplier.organisation, level=1, name="经理", min_amount=0)
    level.approvers.add(user("procurement"))
    order = actions.create_order(supplier.organisation, supplier, [line(items["mask"])], actor=user("procurement"))
    order = actions.submit_order(order, actor=user("procurement"))
    with pytest.raises(NotAnApprover):
        actions.approve_order(order, actor=user("procurement"))
    order.refresh_from_db()
    assert order.status == "pending_approval"
    assert not order.approvals.exists()


def test_emergency_fast_track_skips_approval_and_is_flagged_for_review(user, make_supplier, items):
    supplier = make_supplier()
    level = ApprovalLevel.objects.create(organisation=supplier.organisation, level=1, name="经理", min_amount=0)
    level.approvers.add(user("commander"))
    order = actions.create_order(supplier.organisation, supplier, [line(items["mask"])], actor=user("procurement"))
    with pytest.raises(OrderInvalid):
        actions.submit_order(order, actor=user("procurement"), emergency=True, emergency_reason=" ")
    order = actions.submit_order(order, actor=user("procurement"), emergency=True, emergency_reason="方舱医院今晚开舱")
    assert (order.status, order.is_emergency, order.needs_review) == ("approved", True, True)
    assert Notification.objects.filter(level="warning", title__contains=order.number).count() == 1
    with pytest.raises(NotAnApprover):
        actions.review_emergency_order(order, note="ok", actor=user("procurement"))
    order = actions.review_emergency_order(order, note="价格合理，供应商资质齐全", actor=user("commander"))
    assert (order.needs_review, order.reviewed_by) == (False, user("commander"))
    with pytest.raises(OrderStateInvalid):
        actions.review_emergency_order(order, note="again", actor=user("commander"))


def test_supplier_suspended_after_the_requisition_blocks_submission(user, make_supplier, items):
    supplier = make_supplier()
    order = actions.create_order(supplier.organisation, supplier, [line(items["mask"])], actor=user("procurement"))
    actions.suspend_supplier(supplier, reason="资质核查中", actor=user("commander"))
    with pytest.raises(SupplierNotQualified):
        actions.submit_order(order, actor=user("procurement"))
    order.refresh_from_db()
    assert order.status == "draft"


def test_reject_and_cancel(user, make_supplier, items):
    supplier = make_supplier(uscc=OTHER_USCC)
    level = ApprovalLevel.objects.create(organisation=supplier.organisation, level=1, name="经理", min_amount=0)
    level.approvers.add(user("commander"))
    order = actions.submit_order(
        actions.create_order(supplier.organisation, supplier, [line(items["mask"])], actor=user("procurement")),
        actor=user("procurement"),
    )
    order = actions.reject_order(order, reason="数量过多", actor=user("commander"))
    assert (order.status, order.status_reason) == ("rejected", "数量过多")
    with pytest.raises(OrderStateInvalid):
        actions.cancel_order(order, reason="x", actor=user("procurement"))
    other = actions.create_order(supplier.organisation, supplier, [line(items["mask"])], actor=user("procurement"))
    other = actions.cancel_order(other, reason="重复", actor=user("procurement"))
    assert other.status == "cancelled"


def test_order_for_another_organisation_is_refused(user, make_supplier, items):
    supplier = make_supplier()
    with pytest.raises(OrderInvalid) as exc:
        actions.create_order(
            Organisation.objects.get(code="CYGS"), supplier, [line(items["mask"])], actor=user("procurement")
        )
    assert "organisation" in exc.value.details


def test_order_numbers_take_the_shanghai_date_not_utc(user, make_supplier, items):
    # 17:30 UTC on 1 March is 01:30 on 2 March in Shanghai (the day printed next to RQ numbers).
    import time_machine

    with time_machine.travel(dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC), tick=False):
        supplier = make_supplier()
        order = actions.create_order(supplier.organisation, supplier, [line(items["mask"])], actor=user("procurement"))
    assert order.number == f"PO-20260302-{order.pk:05d}"


# --- separation of duties (issue 19.4) ------------------------------------------------------------
def test_an_order_of_125000_yuan_needs_another_persons_approval_without_levels(user, make_supplier, items):
    supplier = make_supplier(categories=("protective", "ivd"))
    org = supplier.organisation
    order = actions.create_order(org, supplier, [line(items["antigen"], 250, "500.00")], actor=user("procurement"))
    assert order.total == Decimal("125000.00")
    order = actions.submit_order(order, actor=user("procurement"))
    assert order.status == "pending_approval"  # no approval level configured, but over the ¥100,000 threshold
    with pytest.raises(NotAnApprover):
        actions.approve_order(order, actor=user("procurement"))  # the requester
    with pytest.raises(NotAnApprover):
        actions.approve_order(order, actor=user("qc"))  # may not approve purchase orders
    order.refresh_from_db()
    assert order.status == "pending_approval" and not order.approvals.exists()
    order = actions.approve_order(order, actor=user("commander"))
    assert order.status == "approved"
    assert list(order.approvals.values_list("level", "approver__username")) == [(0, "commander")]


def test_below_the_threshold_an_order_is_placed_at_once(user, place_order):
    assert place_order(lines=[("antigen", 200, "480.00")]).status == "approved"  # ¥96,000


def test_the_threshold_is_the_organisations_policy(user, make_supplier, items):
    from baogong.procurement.models import ProcurementPolicy

    supplier = make_supplier()
    ProcurementPolicy.objects.create(organisation=supplier.organisation, approval_from=Decimal("1000"))
    order = actions.create_order(supplier.organisation, supplier, [line(items["mask"], 20)], actor=user("procurement"))
    assert actions.submit_order(order, actor=user("procurement")).status == "pending_approval"


def test_an_approver_above_their_role_limit_is_refused(user, make_supplier, items):
    from django.contrib.auth.models import Group

    from baogong.orgs.choices import ApprovalKind, Role
    from baogong.orgs.errors import OverApprovalLimit
    from baogong.orgs.models import ApprovalLimit

    supplier = make_supplier()
    level = ApprovalLevel.objects.create(organisation=supplier.organisation, level=1, name="经理", min_amount=0)
    level.approvers.add(user("commander"))
    ApprovalLimit.objects.create(
        kind=ApprovalKind.PURCHASE_ORDER, group=Group.objects.get(name=Role.COMMAND_CENTRE), max_amount=Decimal("1")
    )
    order = actions.create_order(supplier.organisation, supplier, [line(items["mask"], 10)], actor=user("procurement"))
    order = actions.submit_order(order, actor=user("procurement"))
    with pytest.raises(OverApprovalLimit) as refused:
        actions.approve_order(order, actor=user("commander"))
    assert list(refused.value.details) == ["total"]
    order.refresh_from_db()
    assert order.status == "pending_approval" and not order.approvals.exists()
    ApprovalLimit.objects.update(max_amount=Decimal("1000000"))
    assert actions.approve_order(order, actor=user("commander")).status == "approved"
