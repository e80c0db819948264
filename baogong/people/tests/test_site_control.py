"""From a positive test to controlled sites (issue 20 point 1): the test site counts, the site's
policy decides between control at once and a confirmation step, the health officer lifts control
with a reason, and every step is one transaction with its audit events."""

from __future__ import annotations

import pytest
from django.utils import timezone

from baogong.core.models import AuditEvent, Notification
from baogong.orgs.models import Organisation, Site
from baogong.people import actions, outbreak
from baogong.people.errors import IncidentInvalid, IncidentStateInvalid
from baogong.people.models import Incident, IncidentSite

from .conftest import at
from .test_outbreak import make_crew


def test_api_positive_test_at_a_warehouse_puts_it_under_control(api_for, make_person, warehouse):
    # given someone of the group with no home site and no deployment on record
    person = make_person("孙检测", home_site=None, organisation=Organisation.objects.get(code="CYGS"))
    api = api_for("health")
    # when a positive antigen result taken at 泰兴桥大仓 is posted
    response = api.post(
        "/api/v1/people/tests/",
        {
            "person": person.pk,
            "kind": "antigen",
            "result": "positive",
            "taken_at": timezone.now().isoformat(),
            "site": "WH-TXQ",
        },
        format="json",
    )
    assert response.status_code == 201
    # then the warehouse answers a status other than normal, with the reason
    site = api.get(f"/api/v1/sites/{warehouse.pk}/").json()
    assert site["status"] == "under_control"
    assert site["status_reason"] == "阳性病例管控 / under control after a positive case (孙检测)"
    incident = Incident.objects.get(person=person)
    assert list(incident.sites.values_list("site__code", "reason", "control")) == [
        ("WH-TXQ", "检测地点 / where the test was taken", "controlled")
    ]
    # and the incident answers its site in the API, the command centre is notified
    data = api.get(f"/api/v1/people/incidents/{incident.pk}/").json()
    assert data["sites"] == [
        {"site": "WH-TXQ", "reason": "检测地点 / where the test was taken", "status": "under_control"}
    ]
    assert Notification.objects.filter(level="critical", title="阳性病例 / positive case: 孙检测").count() == 1
    # one transaction: the test, the incident and the site change are audited together
    assert AuditEvent.objects.filter(verb="set_site_status", object_id=str(warehouse.pk)).count() == 1


@pytest.fixture
def confirm_policy(health, warehouse):
    return actions.save_regime(
        {"name": "泰兴桥：确认后管控", "site": warehouse, "site_control": "confirm"}, actor=health
    )


def test_a_site_policy_can_require_confirmation(confirm_policy, make_person, health, warehouse, today):
    crew = make_crew(make_person, health, warehouse, today)
    actions.record_health_test(
        crew["王建国"], kind="antigen", result="positive", taken_at=at(today, 0, 30), site=warehouse, actor=health
    )
    row = IncidentSite.objects.get(incident__person=crew["王建国"], site=warehouse)
    assert row.control == "pending"
    assert Site.objects.get(pk=warehouse.pk).status == "normal"
    # when the health officer confirms
    outbreak.confirm_site_control(row, actor=health)
    # then the site is under control, and confirming twice is refused
    row.refresh_from_db()
    assert row.control == "controlled"
    assert Site.objects.get(pk=warehouse.pk).status == "under_control"
    event = AuditEvent.objects.get(verb="confirm_site_control")
    assert event.after == {"site": "WH-TXQ", "control": "controlled"}
    with pytest.raises(IncidentStateInvalid):
        outbreak.confirm_site_control(row, actor=health)


def test_the_health_officer_lifts_control_with_a_reason(make_person, health, warehouse, today):
    crew = make_crew(make_person, health, warehouse, today)
    actions.record_health_test(
        crew["王建国"], kind="antigen", result="positive", taken_at=at(today, 0, 30), site=warehouse, actor=health
    )
    row = IncidentSite.objects.get(incident__person=crew["王建国"], site=warehouse)
    assert Site.objects.get(pk=warehouse.pk).status == "under_control"
    # a lift without a reason is refused and changes nothing
    with pytest.raises(IncidentInvalid) as refused:
        outbreak.lift_site_control(row, reason=" ", actor=health)
    assert "reason" in refused.value.details
    row.refresh_from_db()
    assert row.control == "controlled" and Site.objects.get(pk=warehouse.pk).status == "under_control"
    # with a reason the site goes back to normal; the incident stays open
    outbreak.lift_site_control(row, reason="区疾控评估：非密接场所", actor=health)
    row.refresh_from_db()
    assert (row.control, row.control_note) == ("lifted", "区疾控评估：非密接场所")
    site = Site.objects.get(pk=warehouse.pk)
    assert (site.status, site.status_reason) == ("normal", "")
    assert row.incident.status == "open"
    event = AuditEvent.objects.get(verb="lift_site_control")
    assert event.after["reason"] == "区疾控评估：非密接场所" and event.after["site_status"] == "normal"


def test_lift_keeps_a_site_another_open_incident_holds(make_person, health, warehouse, today):
    crew = make_crew(make_person, health, warehouse, today)
    first, other = crew["王建国"], make_person("钱另案")
    actions.record_health_test(first, kind="antigen", result="positive", taken_at=at(today, 0, 30), actor=health)
    # a second case at the same site opens while the site is already under control
    actions.record_health_test(other, kind="antigen", result="positive", taken_at=at(today, 0, 40), actor=health)
    row = IncidentSite.objects.get(incident__person=first, site=warehouse)
    second = IncidentSite.objects.get(incident__person=other, site=warehouse)
    assert (row.control, second.control) == ("controlled", "unchanged")
    # lifting the first incident's control leaves the site held by the second
    outbreak.lift_site_control(row, reason="误报", actor=health)
    assert Site.objects.get(pk=warehouse.pk).status == "under_control"
    # lifting the second releases it
    outbreak.lift_site_control(second, reason="复核解除", actor=health)
    assert Site.objects.get(pk=warehouse.pk).status == "normal"


def test_lock_down_is_one_transaction(health, warehouse, monkeypatch):
    class Crash(RuntimeError):
        pass

    def crash(*_args, **_kwargs):
        raise Crash

    monkeypatch.setattr(outbreak, "notify", crash)
    with pytest.raises(Crash):
        outbreak.lock_down_site(warehouse, reason="区防控办通知", actor=health)
    assert Site.objects.get(pk=warehouse.pk).status == "normal"
    assert not AuditEvent.objects.filter(verb="set_site_status", object_id=str(warehouse.pk)).exists()
    monkeypatch.undo()
    outbreak.lock_down_site(warehouse, reason="区防控办通知", actor=health)
    site = Site.objects.get(pk=warehouse.pk)
    assert (site.status, site.status_reason) == ("locked_down", "区防控办通知")


def test_lock_down_outside_scope_is_not_found(user, warehouse):
    from baogong.core.errors import NotFound

    pharmacist = user("pharmacist")
    with pytest.raises(NotFound):
        outbreak.lock_down_site(warehouse, reason="x", actor=pharmacist)
    assert Site.objects.get(pk=warehouse.pk).status == "normal"


def test_incident_page_confirms_and_lifts(client_for, confirm_policy, make_person, health, warehouse, today):
    crew = make_crew(make_person, health, warehouse, today)
    actions.record_health_test(
        crew["王建国"], kind="antigen", result="positive", taken_at=at(today, 0, 30), site=warehouse, actor=health
    )
    incident = Incident.objects.get(person=crew["王建国"])
    row = incident.sites.get(site=warehouse)
    client = client_for("health")
    page = client.get(f"/people/incidents/{incident.pk}/").content.decode()
    assert f"/people/incidents/{incident.pk}/sites/{row.pk}/confirm/" in page
    client.post(f"/people/incidents/{incident.pk}/sites/{row.pk}/confirm/")
    assert Site.objects.get(pk=warehouse.pk).status == "under_control"
    response = client.post(f"/people/incidents/{incident.pk}/sites/{row.pk}/lift/", {"reason": ""})
    assert response.status_code == 302
    assert Site.objects.get(pk=warehouse.pk).status == "under_control"
    client.post(f"/people/incidents/{incident.pk}/sites/{row.pk}/lift/", {"reason": "复核解除"})
    assert Site.objects.get(pk=warehouse.pk).status == "normal"
    # another organisation's officer: 404
    other = client_for("pharmacist")
    assert other.post(f"/people/incidents/{incident.pk}/sites/{row.pk}/lift/", {"reason": "x"}).status_code in (
        403,
        404,
    )


def test_api_confirms_and_lifts_site_control(confirm_policy, api_for, make_person, health, warehouse, today):
    crew = make_crew(make_person, health, warehouse, today)
    actions.record_health_test(
        crew["王建国"], kind="antigen", result="positive", taken_at=at(today, 0, 30), site=warehouse, actor=health
    )
    incident = Incident.objects.get(person=crew["王建国"])
    api = api_for("health")
    url = f"/api/v1/people/incidents/{incident.pk}/"
    confirmed = api.post(url + "confirm-control/", {"site": "WH-TXQ"}, format="json")
    assert confirmed.status_code == 200
    assert confirmed.json()["sites"][0]["control"] == "controlled"
    assert api.get(f"/api/v1/sites/{warehouse.pk}/").json()["status"] == "under_control"
    # a lift without a reason: field error, nothing changed
    refused = api.post(url + "lift-control/", {"site": "WH-TXQ"}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["details"]
    assert Site.objects.get(pk=warehouse.pk).status == "under_control"
    unknown = api.post(url + "lift-control/", {"site": "WH-BY", "reason": "x"}, format="json")
    assert unknown.status_code == 400 and "site" in unknown.json()["details"]
    lifted = api.post(url + "lift-control/", {"site": "WH-TXQ", "reason": "复核解除"}, format="json")
    assert lifted.status_code == 200
    row = lifted.json()["sites"][0]
    assert (row["site"], row["status"], row["control"], row["control_note"]) == (
        "WH-TXQ",
        "normal",
        "lifted",
        "复核解除",
    )
    # the auditor (read-only) may not
    assert (
        api_for("auditor").post(url + "lift-control/", {"site": "WH-TXQ", "reason": "x"}, format="json").status_code
        == 403
    )
