"""require_scope: the one check actions make for the user they act for (invariant 5)."""

from __future__ import annotations

import pytest

from baogong.core.audit import SystemActor
from baogong.core.errors import NotFound
from baogong.core.scoping import require_scope
from baogong.orgs.models import Site

pytestmark = pytest.mark.django_db


def test_a_record_outside_the_actors_scope_is_not_there_for_them(user):
    keeper = user("warehouse")  # granted the 泰兴桥 warehouse only
    own = Site.objects.get(code="WH-TXQ")
    other = Site.objects.get(code="WH-YY")

    require_scope(keeper, organisation_id=own.organisation_id, site_id=own.pk)
    with pytest.raises(NotFound) as refused:
        require_scope(keeper, organisation_id=other.organisation_id, site_id=other.pk)
    assert refused.value.status_code == 404


def test_system_actors_and_global_users_act_everywhere(user):
    other = Site.objects.get(code="WH-YY")
    require_scope(SystemActor("worker"), organisation_id=other.organisation_id, site_id=other.pk)
    require_scope(user("commander"), organisation_id=other.organisation_id, site_id=other.pk)
