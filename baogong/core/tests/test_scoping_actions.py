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


def test_audit_events_are_scoped_as_the_rows_are(base):
    """``audit_scope = scope_by_fields``: an event about a record is filed under the organisation
    and site its model's scope lookups reach (here a shipment: its warehouse's)."""
    from baogong.core import audit
    from baogong.core.scoping import scope_by_fields
    from baogong.distribution.models import Shipment

    warehouse = Site.objects.get(code="WH-TXQ")
    shipment = Shipment(warehouse=warehouse, recipient=Site.objects.get(code="FH-FCL"))

    assert scope_by_fields(shipment) == (warehouse.organisation_id, warehouse.pk)
    assert scope_by_fields(audit.SystemActor("x")) == (None, None)  # nothing declared: unscoped
    shipment.save()
    event = audit.record("test_scope", shipment, actor=SystemActor("test"))
    assert (event.organisation_id, event.site_id) == (warehouse.organisation_id, warehouse.pk)
