"""Finance actions check the scope of the user they act for (invariant 5): another organisation's
mission, cost line or claim is not there for them (NotFound), and nothing is written."""

from __future__ import annotations

import pytest

from baogong.core.errors import NotFound
from baogong.core.models import AuditEvent
from baogong.finance import actions
from baogong.finance.models import CostLine, ReimbursementClaim

from .conftest import add_cost

pytestmark = pytest.mark.django_db


def test_out_of_scope_user_cannot_touch_a_mission_cost_line_or_claim(mission, commander, narrow_commander):
    # given a cost line and a claim of a mission of another organisation than the narrow commander's
    line = add_cost(mission, commander, "100.00")
    actions.approve_cost_line(line, actor=commander)
    claim = actions.create_claim(mission, [line], actor=commander)
    events = AuditEvent.objects.count()
    # when the narrow commander acts on them directly, then each is not there
    with pytest.raises(NotFound):
        add_cost(mission, narrow_commander, "5.00")
    with pytest.raises(NotFound):
        actions.reject_cost_line(line, "重复", actor=narrow_commander)
    with pytest.raises(NotFound):
        actions.submit_claim(claim, on=mission.starts_on, actor=narrow_commander)
    with pytest.raises(NotFound):
        actions.create_claim(mission, [line], actor=narrow_commander)
    # and nothing was written
    assert list(CostLine.objects.filter(mission=mission).values_list("status", "claim_id")) == [("approved", claim.pk)]
    assert ReimbursementClaim.objects.get(pk=claim.pk).status == "draft"
    assert AuditEvent.objects.count() == events
