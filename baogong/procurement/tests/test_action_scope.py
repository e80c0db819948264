"""Procurement actions check the scope of the user they act for themselves (invariant 5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from baogong.core.errors import NotFound
from baogong.core.models import AuditEvent
from baogong.inventory.models import Lot, StockMove
from baogong.orgs.models import Grant, Organisation
from baogong.procurement import actions
from baogong.procurement.choices import OrderStatus, SupplierStatus
from baogong.procurement.models import PurchaseOrderLine, PurchaseReceipt


@pytest.fixture
def outsider(base):
    """A procurement officer of 长远公司 only."""
    user = get_user_model().objects.create_user("cy-buyer", password="x")
    user.groups.add(Group.objects.get(name="procurement_officer"))
    Grant.objects.create(user=user, organisation=Organisation.objects.get(code="CYGS"))
    return user


def test_another_organisations_records_are_not_there_for_the_action(place_order, outsider):
    # given an order of 宝杨集团 placed with its approved supplier
    order = place_order()
    supplier = order.supplier
    line = order.lines.get()
    events = AuditEvent.objects.count()

    # when 长远公司's officer is passed straight to the actions, then each answers NotFound
    with pytest.raises(NotFound):
        actions.receive_against_order(
            order,
            [actions.ReceiveLineInput(line=line, qty=line.qty, batch="X1", expiry=dt.date(2030, 1, 1))],
            actor=outsider,
        )
    with pytest.raises(NotFound):
        actions.cancel_order(order, reason="no", actor=outsider)
    with pytest.raises(NotFound):
        actions.suspend_supplier(supplier, reason="no", actor=outsider)

    # and nothing was written
    order.refresh_from_db()
    supplier.refresh_from_db()
    assert order.status == OrderStatus.APPROVED and supplier.status == SupplierStatus.APPROVED
    assert PurchaseOrderLine.objects.get(pk=line.pk).received_qty == 0
    assert not PurchaseReceipt.objects.exists() and not Lot.objects.filter(batch="X1").exists()
    assert not StockMove.objects.exists()
    assert AuditEvent.objects.count() == events
