"""A lease ended early (``actions.end_lease``): a tenant who leaves before the end frees the units
from the day after its last day. Refused, with a field error and nothing written: a last day
outside the lease, no reason, a sub-lease running past it, approved relief covering days after it;
another landlord's lease is not there, and only who may change leases may end them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from baogong.core.errors import NotFound, PermissionDenied
from baogong.core.models import AuditEvent
from baogong.orgs.actions import grant_access
from baogong.orgs.models import Organisation
from baogong.property import actions
from baogong.property.errors import LeaseInvalid
from baogong.property.models import Lease

from .conftest import SYSTEM, through_review, upload_all

D = dt.date
JUNE = D(2022, 6, 1)


def _snapshot(lease):
    lease.refresh_from_db()
    return (lease.end, lease.original_end, lease.end_reason, AuditEvent.objects.count())


def _refused(lease, **kwargs):
    """The details of a refused early end (asserting it wrote nothing)."""
    before = _snapshot(lease)
    with pytest.raises(LeaseInvalid) as refused:
        actions.end_lease(lease, **{"reason": "租户撤场", "actor": SYSTEM, **kwargs})
    assert _snapshot(lease) == before
    return refused.value.details


def test_a_lease_ended_early_keeps_its_original_end_and_is_audited(world, user):
    # given a lease to the end of 2024
    lease = world.lease("L-1", units=("101",))
    # when the property officer ends it on 2023-06-30, the tenant having left
    ended = actions.end_lease(lease, on=D(2023, 6, 30), reason=" 租户撤场 ", actor=user("property"))
    # then it ends that day, keeping the contract's end and the reason
    ended.refresh_from_db()
    assert (ended.end, ended.original_end, ended.end_reason, ended.is_ended_early) == (
        D(2023, 6, 30),
        D(2024, 12, 31),
        "租户撤场",
        True,
    )
    event = AuditEvent.objects.get(verb="end_lease")
    assert (event.object_id, event.actor_id, event.organisation_id) == (
        str(lease.pk),
        user("property").pk,
        world.owner.pk,
    )
    assert event.before == {"end": "2024-12-31", "original_end": None, "end_reason": ""}
    assert event.after == {"end": "2023-06-30", "original_end": "2024-12-31", "end_reason": "租户撤场"}
    # and ended again earlier, the contract's end stays the first one
    actions.end_lease(ended, on=D(2023, 3, 31), reason="更正撤场日期", actor=SYSTEM)
    ended.refresh_from_db()
    assert (ended.end, ended.original_end) == (D(2023, 3, 31), D(2024, 12, 31))


def test_after_an_early_end_the_unit_is_let_again_from_the_next_day(world):
    # given the shop's lease of 101 ended early on 2023-06-30
    lease = world.lease("L-1", units=("101",))
    new = {"tenant": world.noodles, "units": ("101",), "end": D(2025, 6, 30)}
    with pytest.raises(LeaseInvalid):  # before the early end, 101 is let until 2024
        world.lease("L-2", start=D(2023, 7, 1), **new)
    actions.end_lease(lease, on=D(2023, 6, 30), reason="租户撤场", actor=SYSTEM)
    # when another tenant takes 101 from its last day, then it is still let that day
    with pytest.raises(LeaseInvalid) as refused:
        world.lease("L-2", start=D(2023, 6, 30), **new)
    assert refused.value.details == {
        "units": [
            _("Unit %(unit)s is already let under lease %(lease)s for part of this period.")
            % {"unit": "101", "lease": "L-1"}
        ]
    }
    # and from the day after, the new lease is made
    assert world.lease("L-2", start=D(2023, 7, 1), **new).units.get().code == "101"


@pytest.mark.parametrize(
    ("on", "ok"),
    [
        (D(2021, 12, 31), False),  # before the start
        (D(2022, 1, 1), True),  # the first day: allowed
        (D(2024, 12, 30), True),
        (D(2024, 12, 31), False),  # the end itself: not early
        (D(2025, 1, 1), False),
    ],
)
def test_the_last_day_is_from_the_start_to_before_the_end(world, on, ok):
    lease = world.lease("L-1")
    if ok:
        assert actions.end_lease(lease, on=on, reason="租户撤场", actor=SYSTEM).end == on
        return
    assert _refused(lease, on=on) == {
        "on": [
            _("The last day must be from the start (%(start)s) to the day before the end (%(end)s).")
            % {"start": "2022-01-01", "end": "2024-12-31"}
        ]
    }


def test_a_reason_is_required_in_chinese_and_english(world):
    lease = world.lease("L-1")
    for language, text in [
        ("zh-hans", "请填写提前终止的原因。"),
        ("en", "Give the reason for ending the lease early."),
    ]:
        with translation.override(language):
            assert _refused(lease, on=D(2023, 6, 30), reason="  ") == {"reason": [text]}


def test_a_sub_lease_running_past_the_last_day_refuses_it_by_name(world):
    # given a head lease of 101 and 102 with two sub-leases
    head = world.lease("L-H", units=("101", "102"))
    world.lease("L-S1", tenant=world.noodles, units=("101",), end=D(2023, 3, 31), parent=head)
    world.lease("L-S2", tenant=world.noodles, units=("102",), end=D(2023, 12, 31), parent=head)
    # when the head lease ends on 2023-06-30, then the sub-lease still running is named
    with translation.override("zh-hans"):
        assert _refused(head, on=D(2023, 6, 30)) == {"on": ["转租合同 L-S2 在此日之后仍有效，请先终止该转租合同。"]}
    # and from the sub-lease's last day on, the head lease may end
    assert actions.end_lease(head, on=D(2023, 12, 31), reason="租户撤场", actor=SYSTEM).end == D(2023, 12, 31)


def test_approved_relief_covering_days_after_the_last_day_refuses_it_by_name(world, user):
    # given a lease with relief approved on its 2022 days
    lease = world.lease("L-1")
    application = actions.submit_application(lease, as_of=JUNE, actor=SYSTEM)
    upload_all(application)
    approved = through_review(application, user("property"))
    assert approved.status == "approved"
    # when it would end in 2022, then the relief is named
    assert _refused(lease, on=D(2022, 8, 31)) == {
        "on": [_("Approved rent relief %(application)s covers days after this day.") % {"application": approved.number}]
    }
    # and it may end once no 2022 day is left after the last one
    assert actions.end_lease(lease, on=D(2022, 12, 31), reason="租户撤场", actor=SYSTEM).end == D(2022, 12, 31)


def test_relief_still_open_does_not_refuse_the_early_end(world):
    # an application not yet approved is quoted again on approval, on the lease as it then is
    lease = world.lease("L-1")
    actions.submit_application(lease, as_of=JUNE, actor=SYSTEM)
    assert actions.end_lease(lease, on=D(2022, 8, 31), reason="租户撤场", actor=SYSTEM).end == D(2022, 8, 31)


def ancestors(organisation):
    """The organisation and those above it (a grant on any of them reaches it)."""
    found = []
    while organisation is not None:
        found.append(organisation.pk)
        organisation = organisation.parent
    return found


def _officer_of(code):
    """A property officer granted only organisation ``code``."""
    user = get_user_model().objects.create(username=f"officer-{code}")
    user.groups.add(Group.objects.get(name="property_officer"))
    grant_access(user, organisation=Organisation.objects.get(code=code), actor=SYSTEM)
    return get_user_model().objects.get(pk=user.pk)


def test_another_landlords_officer_and_a_viewer_may_not_end_it(world, user, client_for):
    lease = world.lease("L-1")
    other = Organisation.objects.exclude(pk__in=ancestors(world.owner)).order_by("pk").first()
    outsider = _officer_of(other.code)
    before = _snapshot(lease)
    with pytest.raises(NotFound):
        actions.end_lease(lease, on=D(2023, 6, 30), reason="租户撤场", actor=outsider)
    with pytest.raises(PermissionDenied):  # the auditor sees the lease, may not change it
        actions.end_lease(lease, on=D(2023, 6, 30), reason="租户撤场", actor=user("auditor"))
    assert _snapshot(lease) == before
    # and through the page: the auditor is refused, another landlord's officer does not find the lease
    client = client_for("auditor")
    assert (
        client.post(f"/property/leases/{lease.pk}/end/", {"on": "2023-06-30", "reason": "租户撤场"}).status_code == 403
    )
    client.force_login(outsider)
    assert (
        client.post(f"/property/leases/{lease.pk}/end/", {"on": "2023-06-30", "reason": "租户撤场"}).status_code == 404
    )
    assert _snapshot(lease) == before


# --- the page ---------------------------------------------------------------------------------------
def _running_lease(world):
    """A lease running today (the pages offer the early end only for a lease not yet ended)."""
    today = timezone.localdate()
    return world.lease("L-1", start=today - dt.timedelta(days=100), end=today + dt.timedelta(days=265))


def test_the_form_is_shown_only_to_who_may_end_a_lease_not_yet_ended(world, client_for):
    lease = _running_lease(world)
    url = f"/property/leases/{lease.pk}/"
    assert 'id="end-lease"' in client_for("property").get(url).content.decode()
    assert 'id="end-lease"' not in client_for("auditor").get(url).content.decode()
    # a lease past its end offers no early end
    Lease.objects.filter(pk=lease.pk).update(end=timezone.localdate() - dt.timedelta(days=1))
    assert 'id="end-lease"' not in client_for("property").get(url).content.decode()


def test_a_refused_early_end_shows_its_errors_in_the_form(world, client_for):
    lease = _running_lease(world)
    before = _snapshot(lease)
    client = client_for("property")
    response = client.post(f"/property/leases/{lease.pk}/end/", {"on": lease.end.isoformat(), "reason": "租户撤场"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-field="on"' in page and "最后一日须在起租日" in page
    response = client.post(f"/property/leases/{lease.pk}/end/", {"on": lease.start.isoformat(), "reason": " "})
    assert response.status_code == 400 and 'data-field="reason"' in response.content.decode()
    assert _snapshot(lease) == before


def test_an_early_end_from_the_page_says_so_and_shows_the_original_end(world, client_for):
    lease = _running_lease(world)
    original, on = lease.end, timezone.localdate() - dt.timedelta(days=7)  # the tenant left last week
    response = client_for("property").post(
        f"/property/leases/{lease.pk}/end/", {"on": on.isoformat(), "reason": "封控期间撤场"}, follow=True
    )
    page = response.content.decode()
    assert response.redirect_chain == [(f"/property/leases/{lease.pk}/", 302)]
    assert f"租赁合同 L-1 已提前终止，最后一日为 {on.isoformat()}。" in page
    assert f"原到期 {original.isoformat()}" in page and "封控期间撤场" in page and 'id="ended-early"' in page
    assert 'id="end-lease"' not in page  # ended last week: nothing left to end
    lease.refresh_from_db()
    assert (lease.end, lease.original_end, lease.end_reason) == (on, original, "封控期间撤场")


def test_the_rent_roll_stops_at_the_early_end(world):
    lease = world.lease("L-1", rent="30000.00", period=3)
    actions.end_lease(lease, on=D(2022, 4, 15), reason="租户撤场", actor=SYSTEM)
    lease.refresh_from_db()
    assert actions.lease_periods(lease, D(2022, 12, 31)) == [
        (D(2022, 1, 1), D(2022, 3, 31)),
        (D(2022, 4, 1), D(2022, 4, 15)),
    ]
    assert actions.period_rent(lease, D(2022, 4, 1), D(2022, 4, 15)) == Decimal("4945.05")
