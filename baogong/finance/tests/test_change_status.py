"""``audit.change_status``: one status change of a locked record — the new status and its stamps
saved (only those fields, ``updated_at`` where the model has it) and one audit event with the old
and the new status."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from baogong.core import audit
from baogong.core.models import AuditEvent
from baogong.finance.models import CostLine
from baogong.finance.tests.conftest import add_cost


def test_change_status_saves_the_status_and_its_stamps_and_audits_the_change(mission, commander):
    line = add_cost(mission, commander, "500")
    earlier = line.updated_at - dt.timedelta(days=1)
    CostLine.objects.filter(pk=line.pk).update(updated_at=earlier)
    line.refresh_from_db()
    line.description = "not saved"  # a change the status change must not write

    with CaptureQueriesContext(connection) as queries:
        event = audit.change_status(
            "reject_cost_line",
            line,
            "rejected",
            actor=commander,
            stamps={"rejection_reason": "重复"},
            before={"note": "b"},
            after={"note": "a"},
        )

    update = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE"))
    assert "description" not in update and "updated_at" in update
    line.refresh_from_db()
    assert (line.status, line.rejection_reason) == ("rejected", "重复")
    assert line.description != "not saved" and line.updated_at > earlier
    assert AuditEvent.objects.get(pk=event.pk).before == {"status": "pending", "note": "b"}
    assert event.after == {"status": "rejected", "note": "a"}
