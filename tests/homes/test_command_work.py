"""The command centre keeps its dashboard as home, with its own work above it: requests waiting
for approval, each linked, gone once approved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from baogong.core.audit import SystemActor
from baogong.distribution import actions
from baogong.orgs.models import Site

pytestmark = pytest.mark.django_db
SYSTEM = SystemActor("tests")


def _card(html: str) -> str:
    return html.split('id="card-requests_to_approve"', 1)[1].split("</section>", 1)[0]


def test_requests_to_approve_sit_above_the_commanders_dashboard(client_for, n95, user):
    # given nothing filed: the card says so
    client = client_for("commander")
    html = client.get("/").content.decode()
    assert 'id="live-charts"' in html and "没有待审批的物资申请" in _card(html)

    # when a field hospital's request is submitted
    hospital = Site.objects.get(code="FH-FCL")
    needed_by = timezone.localdate() + dt.timedelta(days=1)
    request = actions.file_request(
        hospital, [actions.LineInput(item=n95, qty=10, needed_by=needed_by)], actor=SYSTEM, submit=True
    )

    # then it waits on the commander's home, linked to the request
    html = client.get("/").content.decode()
    card = _card(html)
    assert "待审批的物资申请" in card and 'data-count="1"' in card
    assert f'href="/distribution/requests/{request.pk}/"' in card and hospital.name in card
    assert client.get(f"/distribution/requests/{request.pk}/").status_code == 200

    # and once approved it is gone
    actions.approve_request(request, actor=user("commander"))
    assert 'data-count="0"' in _card(client.get("/").content.decode())


def test_the_auditors_dashboard_page_has_no_cards(client_for):
    html = client_for("auditor").get(reverse("reports:dashboard")).content.decode()
    assert 'id="live-charts"' in html and "inbox-card" not in html


def test_price_and_policy_changes_of_others_wait_on_the_commanders_home(client_for, user):

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from baogong.orgs import governance
    from baogong.orgs.models import Grant
    from baogong.procurement.models import ProcurementPolicy

    policy = ProcurementPolicy.objects.get_or_create(organisation=None)[0]
    mine = governance.propose_change(policy, {"licence_alert_days": 9}, actor=user("commander"))
    html = client_for("commander").get("/").content.decode()
    card = html.split('id="card-changes_to_decide"', 1)[1].split("</section>", 1)[0]
    assert 'data-count="0"' in card  # one's own proposal is not one's work
    other = get_user_model().objects.create_user("commander-b", password="x", first_name="二号")
    other.groups.add(Group.objects.get(name="command_centre"))
    Grant.objects.create(user=other, is_global=True)
    html = client_for("commander-b").get("/").content.decode()
    card = html.split('id="card-changes_to_decide"', 1)[1].split("</section>", 1)[0]
    assert 'data-count="1"' in card and f"#change-{mine.pk}" in card and "采购" in card
    governance.decide_change(mine, approve=True, actor=other)
    assert policy.__class__.objects.get(pk=policy.pk).licence_alert_days == 9
