"""Site actions check the scope of the user they act for (invariant 5)."""

from __future__ import annotations

import pytest

from baogong.core.errors import NotFound
from baogong.core.models import AuditEvent
from baogong.orgs import actions
from baogong.orgs.models import Site

pytestmark = pytest.mark.django_db


def test_a_site_outside_the_users_scope_is_not_there(user):
    # given a keeper granted the 泰兴桥 warehouse only
    keeper = user("warehouse")
    other = Site.objects.get(code="WH-YY")
    before, events = (other.name, other.status), AuditEvent.objects.count()
    # when the keeper changes another warehouse directly
    with pytest.raises(NotFound):
        actions.update_site(other, {"name": "改名"}, actor=keeper)
    with pytest.raises(NotFound):
        actions.set_site_status(other, "locked_down", reason="阳性", actor=keeper)
    # then nothing was written
    other.refresh_from_db()
    assert (other.name, other.status) == before
    assert AuditEvent.objects.count() == events
