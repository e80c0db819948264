"""Command actions check the scope of the user they act for (invariant 5)."""

from __future__ import annotations

import datetime as dt

import pytest

from baogong.command import actions
from baogong.command.models import Inspection, Rectification
from baogong.core.errors import NotFound
from baogong.core.models import AuditEvent

from .conftest import all_ok

pytestmark = pytest.mark.django_db


def test_a_venue_outside_the_inspectors_scope_is_not_there(user, venue, template):
    # given a keeper granted one warehouse only, and an open rectification at a venue
    keeper = user("warehouse")
    first = actions.record_inspection(
        venue, template, on=dt.date(2022, 6, 1), findings=all_ok(template, capacity="超限流"), actor=user("commander")
    )
    rectification = Rectification.objects.get(finding__inspection=first)
    inspections, events = Inspection.objects.count(), AuditEvent.objects.count()
    # when the keeper inspects the venue or re-inspects its rectification directly
    with pytest.raises(NotFound):
        actions.record_inspection(venue, template, on=dt.date(2022, 6, 2), findings=all_ok(template), actor=keeper)
    with pytest.raises(NotFound):
        actions.record_reinspection(rectification, on=dt.date(2022, 6, 2), is_compliant=True, actor=keeper)
    # then (404, not a field error naming the venue) and nothing was written
    rectification.refresh_from_db()
    assert rectification.status == "open"
    assert (Inspection.objects.count(), AuditEvent.objects.count()) == (inspections, events)
