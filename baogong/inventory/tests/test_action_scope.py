"""Actions check the scope of the user they act for themselves (invariant 5), whoever calls them."""

from __future__ import annotations

import pytest

from baogong.core.errors import NotFound
from baogong.core.models import AuditEvent
from baogong.inventory import actions
from baogong.inventory.actions import IssueLineInput, ReceiptLineInput
from baogong.inventory.models import Adjustment, Issue, Lot, Receipt, StockBalance, StockMove, Stocktake


def test_an_out_of_scope_warehouse_is_not_there_for_the_action(wh_yy, hospital, n95, receive, user):
    # given stock at 杨行 and the 泰兴桥 keeper, who is granted 泰兴桥 only
    receive(wh_yy, n95, "YY-1", 10)
    keeper = user("warehouse")
    lot = Lot.objects.get(batch="YY-1")
    location = StockBalance.objects.get(lot=lot).location
    counts = (Receipt.objects.count(), StockMove.objects.count(), AuditEvent.objects.count())

    # when the keeper's actions are called directly for 杨行, then each answers NotFound
    with pytest.raises(NotFound):
        actions.receive_stock(
            wh_yy, [ReceiptLineInput(item=n95, batch="X", qty=5, unit_cost=lot.unit_cost)], actor=keeper
        )
    with pytest.raises(NotFound):
        actions.issue_stock(wh_yy, hospital, [IssueLineInput(item=n95, qty=1)], actor=keeper)
    with pytest.raises(NotFound):
        actions.reserve_stock(wh_yy, n95, 1, actor=keeper, reference="R")
    with pytest.raises(NotFound):
        actions.adjust_stock(wh_yy, lot, location, -1, reason="broken", actor=keeper)
    with pytest.raises(NotFound):
        actions.start_stocktake(wh_yy, actor=keeper)
    with pytest.raises(NotFound):
        actions.create_location(wh_yy, code="B-9", name="B-9", actor=keeper)
    with pytest.raises(NotFound):
        actions.reverse_move(StockMove.objects.get(lot=lot), actor=keeper, reason="x")

    # and nothing was written
    assert (Receipt.objects.count(), StockMove.objects.count(), AuditEvent.objects.count()) == counts
    assert not Issue.objects.exists() and not Adjustment.objects.exists() and not Stocktake.objects.exists()
    assert StockBalance.objects.get(lot=lot).on_hand == 10
    assert not Lot.objects.filter(batch="X").exists()
