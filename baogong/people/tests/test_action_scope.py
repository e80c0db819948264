"""People actions check the scope of the user they act for themselves (invariant 5)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from baogong.core.errors import NotFound
from baogong.core.models import AuditEvent
from baogong.orgs.models import Site
from baogong.people import actions
from baogong.people.models import HealthTest


def test_a_person_outside_the_actors_scope_is_not_there_for_the_action(make_person, user):
    # given a person of 望远 hotel (no organisation) and the 泰兴桥 keeper, granted 泰兴桥 only
    outsider = make_person(organisation=None, home_site=Site.objects.get(code="HT-WYN"))
    keeper = user("warehouse")
    events = AuditEvent.objects.count()

    # when the keeper is passed straight to the actions, then each answers NotFound
    with pytest.raises(NotFound):
        actions.update_person(outsider, {"position": "x"}, actor=keeper)
    with pytest.raises(NotFound):
        actions.record_health_test(outsider, kind="antigen", result="positive", taken_at=timezone.now(), actor=keeper)
    with pytest.raises(NotFound):
        actions.reveal_personal_data(outsider, actor=keeper)
    # and nothing was written
    outsider.refresh_from_db()
    assert outsider.position != "x"
    assert not HealthTest.objects.exists()
    assert AuditEvent.objects.count() == events
