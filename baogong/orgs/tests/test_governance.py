"""Maker ≠ checker for prices and policies (``orgs.governance``) and approval limits by role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from baogong.catalog.models import ItemPrice
from baogong.core.errors import Conflict, NotFound, PermissionDenied
from baogong.core.models import AuditEvent
from baogong.orgs import duties, governance
from baogong.orgs.actions import set_one_person_approval
from baogong.orgs.choices import ApprovalKind, ChangeStatus, Role
from baogong.orgs.errors import ChangeInvalid, OverApprovalLimit, SamePerson
from baogong.orgs.models import ApprovalLimit, ChangeRequest, Grant, Organisation
from baogong.pharmacy.models import InsurancePolicy
from baogong.procurement.models import ProcurementPolicy


def _second_commander(user: Any) -> Any:
    """Another person of the command centre with the whole group in scope."""
    other = get_user_model().objects.create_user("commander2", password="x", is_staff=True)
    other.groups.add(Group.objects.get(name=Role.COMMAND_CENTRE))
    Grant.objects.create(user=other, is_global=True)
    return get_user_model().objects.get(pk=other.pk)


def _policy() -> ProcurementPolicy:
    return ProcurementPolicy.objects.get_or_create(organisation=None)[0]


def test_a_policy_change_waits_for_a_second_person_then_applies(user):
    commander, other = user("commander"), _second_commander(user)
    policy = _policy()
    was = policy.approval_from
    change = governance.propose_change(policy, {"approval_from": Decimal("50000")}, actor=commander, reason="紧急期间")
    policy.refresh_from_db()
    assert change.status == ChangeStatus.PENDING and policy.approval_from == was  # nothing changed yet
    assert change.before == {"approval_from": f"{was:.2f}"} and change.changes == {"approval_from": "50000.00"}
    with pytest.raises(SamePerson) as exc:
        governance.decide_change(change, approve=True, actor=commander)
    assert "change" in exc.value.details
    governance.decide_change(change, approve=True, actor=other, note="同意")
    policy.refresh_from_db()
    change.refresh_from_db()
    assert policy.approval_from == Decimal("50000") and change.status == ChangeStatus.APPLIED
    assert change.decided_by == other
    verbs = list(AuditEvent.objects.order_by("pk").values_list("verb", flat=True))
    assert verbs[-3:] == ["propose_change", "apply_change", "approve_change"]


def test_a_change_made_stale_by_another_is_refused_not_overwritten(user):
    commander, other = user("commander"), _second_commander(user)
    policy = _policy()
    first = governance.propose_change(policy, {"max_markup_percent": Decimal("20")}, actor=commander)
    second = governance.propose_change(policy, {"max_markup_percent": Decimal("40")}, actor=commander)
    governance.decide_change(first, approve=True, actor=other)
    with pytest.raises(Conflict):
        governance.decide_change(second, approve=True, actor=other)
    policy.refresh_from_db()
    second.refresh_from_db()
    assert policy.max_markup_percent == Decimal("20") and second.status == ChangeStatus.PENDING


def test_the_maker_withdraws_others_without_the_right_cannot_decide(user):
    commander = user("commander")
    change = governance.propose_change(_policy(), {"licence_alert_days": 10}, actor=commander)
    with pytest.raises((PermissionDenied, NotFound)):
        governance.decide_change(change, approve=False, actor=user("warehouse"))
    governance.decide_change(change, approve=False, actor=commander)
    change.refresh_from_db()
    assert change.status == ChangeStatus.WITHDRAWN
    assert _policy().licence_alert_days != 10


def test_bad_values_are_field_errors_and_nothing_is_proposed(user):
    with pytest.raises(ChangeInvalid) as exc:
        governance.propose_change(_policy(), {"max_markup_percent": Decimal("-5")}, actor=user("commander"))
    assert "max_markup_percent" in exc.value.details
    with pytest.raises(ChangeInvalid):
        governance.propose_change(
            _policy(), {"max_markup_percent": _policy().max_markup_percent}, actor=user("commander")
        )
    assert not ChangeRequest.objects.exists()


def test_a_new_policy_is_created_only_when_approved(user):
    commander, other = user("commander"), _second_commander(user)
    values = {
        "code": "SH-2026",
        "name": "上海 2026",
        "valid_from": dt.date(2026, 1, 1),
        "class_a_eligible_percent": Decimal("100"),
        "class_b_eligible_percent": Decimal("90"),
        "unlisted_eligible_percent": Decimal("0"),
        "pooled_fund_percent": Decimal("70"),
    }
    change = governance.propose_change(None, values, actor=commander, model=InsurancePolicy)
    assert not InsurancePolicy.objects.filter(code="SH-2026").exists()
    governance.decide_change(change, approve=True, actor=other)
    change.refresh_from_db()
    created = InsurancePolicy.objects.get(code="SH-2026")
    assert change.object_id == created.pk and created.class_b_eligible_percent == Decimal("90")


def test_a_small_organisation_may_let_the_maker_approve_and_it_is_recorded(user, system):
    commander = user("commander")
    org = Organisation.objects.filter(is_group_member=True).order_by("pk").first()
    set_one_person_approval(org, True, reason="只有一人", actor=system)
    limit = ApprovalLimit.objects.create(
        organisation=org, kind=ApprovalKind.RELIEF, group=Group.objects.get(name=Role.PROPERTY_OFFICER), max_amount=1
    )
    change = governance.propose_change(limit, {"max_amount": Decimal("5000")}, actor=commander)
    assert change.organisation_id == org.pk
    governance.decide_change(change, approve=True, actor=commander)
    limit.refresh_from_db()
    assert limit.max_amount == Decimal("5000")
    assert AuditEvent.objects.get(verb="approve_change").after["one_person_waiver"] is True


def test_an_item_price_edited_on_the_page_waits_and_enters_the_history_when_approved(user, client_for, n95):
    commander, other = user("commander"), _second_commander(user)
    was = n95.reference_price
    history = ItemPrice.objects.filter(item=n95).count()
    page = client_for("commander").get(f"/catalog/items/{n95.pk}/edit/")
    form = page.context["form"]
    data = {k: ("" if v is None else getattr(v, "pk", v)) for k, v in form.initial.items() if k in form.fields}
    data = {k: v for k, v in data.items() if v is not False}
    data.update(name="N95 口罩（新）", reference_price="9.90")
    response = client_for("commander").post(f"/catalog/items/{n95.pk}/edit/", data, follow=True)
    assert response.status_code == 200
    n95.refresh_from_db()
    assert n95.name == "N95 口罩（新）" and n95.reference_price == was  # the name saved, the price waits
    assert "等待另一人批准" in response.content.decode()
    change = ChangeRequest.objects.get()
    assert ItemPrice.objects.filter(item=n95).count() == history
    governance.decide_change(change, approve=True, actor=other)
    n95.refresh_from_db()
    assert n95.reference_price == Decimal("9.90")
    assert ItemPrice.objects.filter(item=n95).latest("id").price == Decimal("9.90")
    assert commander.pk == change.proposed_by_id


def test_the_admin_proposes_instead_of_saving_a_policy(user):
    commander = user("commander")
    commander.is_staff = True
    commander.is_superuser = True
    commander.save()
    policy = _policy()
    client = Client()
    client.force_login(commander)
    url = f"/admin/procurement/procurementpolicy/{policy.pk}/change/"
    data = {
        "organisation": "",
        "max_markup_percent": "12.00",
        "licence_alert_days": str(policy.licence_alert_days),
        "approval_from": str(policy.approval_from),
    }
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"].endswith("/policy-changes/")
    policy.refresh_from_db()
    assert policy.max_markup_percent != Decimal("12.00")
    assert ChangeRequest.objects.get().changes == {"max_markup_percent": "12.00"}
    page = Client()
    page.force_login(_second_commander(user))
    listing = page.get("/policy-changes/").content.decode()
    assert "12.00" in listing and "批准并生效" in listing


def test_the_api_decides_and_answers_field_errors(user, api_for):
    commander = user("commander")
    _second_commander(user)
    change = governance.propose_change(_policy(), {"licence_alert_days": 45}, actor=commander)
    own = api_for("commander").post(
        f"/api/v1/policy-changes/{change.pk}/decide/", {"decision": "approve"}, format="json"
    )
    assert own.status_code == 400 and own.json()["code"] == "same_person"
    bad = api_for("commander2").post(f"/api/v1/policy-changes/{change.pk}/decide/", {"decision": "x"}, format="json")
    assert bad.status_code == 400 and "decision" in bad.json()["details"]
    ok = api_for("commander2").post(
        f"/api/v1/policy-changes/{change.pk}/decide/", {"decision": "approve"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "applied"
    assert _policy().licence_alert_days == 45


def test_changes_of_another_organisation_are_not_there(user, api_for):
    org = Organisation.objects.filter(is_group_member=True).order_by("pk").first()
    limit = ApprovalLimit.objects.create(
        organisation=org, kind=ApprovalKind.RELIEF, group=Group.objects.get(name=Role.PROPERTY_OFFICER), max_amount=1
    )
    change = governance.propose_change(limit, {"max_amount": Decimal("9")}, actor=user("commander"))
    outsider = get_user_model().objects.create_user("outsider", password="x")
    outsider.groups.add(Group.objects.get(name=Role.COMMAND_CENTRE))
    other_org = Organisation.objects.exclude(pk=org.pk).exclude(parent=org).filter(parent__isnull=False).first()
    Grant.objects.create(user=outsider, organisation=other_org)
    with pytest.raises(NotFound):
        governance.decide_change(change, approve=True, actor=get_user_model().objects.get(pk=outsider.pk))
    assert api_for("outsider").get(f"/api/v1/policy-changes/{change.pk}/").status_code == 404


# --- approval limits by amount and role -----------------------------------------------------
def test_approval_limits_by_role_with_the_organisation_replacing_the_default(user):
    keeper_role = Group.objects.get(name=Role.WAREHOUSE_KEEPER)
    command = Group.objects.get(name=Role.COMMAND_CENTRE)
    kind = ApprovalKind.STOCK_ADJUSTMENT
    assert duties.require_within_limit(None, kind, Decimal("1e9"), actor=user("warehouse")) is None  # no limits
    ApprovalLimit.objects.create(kind=kind, group=keeper_role, max_amount=Decimal("5000"))
    ApprovalLimit.objects.create(kind=kind, group=command, max_amount=Decimal("200000"))
    org = Organisation.objects.filter(is_group_member=True).order_by("pk").first()
    assert duties.require_within_limit(org.pk, kind, Decimal("5000"), actor=user("warehouse")) == Decimal("5000")
    with pytest.raises(OverApprovalLimit) as exc:
        duties.require_within_limit(org.pk, kind, Decimal("5000.01"), actor=user("warehouse"), field="value")
    assert "¥5,000.00" in exc.value.details["value"][0]
    with pytest.raises(OverApprovalLimit):  # a role without a limit of this kind may not approve it
        duties.require_within_limit(org.pk, kind, Decimal("1"), actor=user("auditor"))
    ApprovalLimit.objects.create(organisation=org, kind=kind, group=keeper_role, max_amount=Decimal("20000"))
    assert duties.within_limit(org.pk, kind, Decimal("15000"), actor=user("warehouse"))
    assert not duties.within_limit(org.pk, kind, Decimal("15000"), actor=user("commander"))  # org rows only


def test_who_may_approve_orders_is_a_policy_too(user):
    from baogong.procurement.models import ApprovalLevel

    commander, other = user("commander"), _second_commander(user)
    org = Organisation.objects.filter(is_group_member=True).order_by("pk").first()
    level = ApprovalLevel.objects.create(organisation=org, level=1, name="经理", min_amount=0)
    level.approvers.add(commander)
    change = governance.propose_change(level, {"approvers": [commander, user("procurement")]}, actor=commander)
    assert list(level.approvers.all()) == [commander]  # not yet
    assert change.before == {"approvers": [commander.pk]}
    assert "、" in dict((label, after) for label, _before, after in governance.describe(change)).popitem()[1]
    governance.decide_change(change, approve=True, actor=other)
    assert set(level.approvers.values_list("username", flat=True)) == {"commander", "procurement"}
    stale = governance.propose_change(level, {"approvers": [commander]}, actor=commander)
    level.approvers.add(other)  # changed meanwhile (outside the admin)
    with pytest.raises(Conflict):
        governance.decide_change(stale, approve=True, actor=other)
