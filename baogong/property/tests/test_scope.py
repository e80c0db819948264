"""Property actions check the scope of the user they act for (invariant 5): another organisation's
lease, invoice or application is not there for them (NotFound), and nothing is written. A tenant
following its leases in the portal acts on its own."""

from __future__ import annotations

import datetime as dt

import pytest

from baogong.core.errors import NotFound
from baogong.core.models import AuditEvent
from baogong.property import actions
from baogong.property.models import Invoice, ReliefApplication

from .conftest import SYSTEM

pytestmark = pytest.mark.django_db
JUNE = dt.date(2022, 6, 1)


def test_a_lease_and_application_outside_the_users_scope_are_not_there(world, user):
    # given a lease with its invoices and an application, and a keeper granted one warehouse only
    lease = world.lease()
    invoice = actions.issue_invoices(lease, up_to=JUNE, actor=SYSTEM)[0]
    application = actions.submit_application(lease, as_of=JUNE, actor=SYSTEM)
    keeper = user("warehouse")
    counts = (Invoice.objects.count(), ReliefApplication.objects.count(), AuditEvent.objects.count())
    # when the keeper acts on them directly, then each is not there
    with pytest.raises(NotFound):
        actions.issue_invoices(lease, up_to=dt.date(2022, 12, 31), actor=keeper)
    with pytest.raises(NotFound):
        actions.record_payment(invoice, invoice.amount, paid_on=JUNE, actor=keeper)
    with pytest.raises(NotFound):
        actions.reject_application(application, reason="材料不全", actor=keeper)
    # the same for a tenant user who does not follow this tenant
    with pytest.raises(NotFound):
        actions.resubmit_application(application, actor=user("tenant"))
    # and nothing was written
    invoice.refresh_from_db()
    application.refresh_from_db()
    assert (invoice.paid, application.status) == (0, "submitted")
    assert (Invoice.objects.count(), ReliefApplication.objects.count(), AuditEvent.objects.count()) == counts


def test_a_tenant_following_the_lease_in_the_portal_applies_itself(world, user):
    lease = world.lease()
    tenant_user = user("tenant")
    actions.link_portal_user(world.shop, tenant_user, actor=user("property"))
    application = actions.submit_application(lease, as_of=JUNE, actor=tenant_user)
    assert application.status == "submitted"
