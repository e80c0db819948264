import datetime as dt

import pytest
from django.utils import timezone

from baogong.core.models import AuditEvent
from baogong.orgs.models import Organisation, Site
from baogong.people import actions
from baogong.people.models import DispatchBatch, HealthTest, Incident, Person

from .conftest import at


def test_person_pages_mask_and_reveal_is_audited(client_for, make_person):
    person = make_person(id_number="310113198001010013")
    client = client_for("health")
    page = client.get("/people/").content.decode()
    assert "310***********0013" in page and "310113198001010013" not in page
    detail = client.get(f"/people/{person.pk}/").content.decode()
    assert "138****5678" in detail and "13812345678" not in detail
    revealed = client.post(f"/people/{person.pk}/reveal/", {"reason": "流调"})
    assert revealed.status_code == 200
    assert "310113198001010013" in revealed.content.decode()
    assert AuditEvent.objects.filter(verb="reveal_personal_data", object_id=str(person.pk)).count() == 1


def test_auditor_reads_masked_and_cannot_reveal(client_for, make_person):
    person = make_person()
    client = client_for("auditor")
    assert client.get(f"/people/{person.pk}/").status_code == 200
    assert client.post(f"/people/{person.pk}/reveal/").status_code == 403
    assert not AuditEvent.objects.filter(verb="reveal_personal_data").exists()


def test_other_organisations_person_is_404(client_for, make_person):
    person = make_person(organisation=Organisation.objects.get(code="YYGS"), home_site=None)
    assert client_for("dispatcher").get(f"/people/{person.pk}/").status_code == 404


def test_register_person_form_shows_field_errors(client_for, warehouse):
    client = client_for("health")
    response = client.post(
        "/people/new/", {"kind": "staff", "name": "错号", "home_site": warehouse.pk, "id_number": "310113198001010014"}
    )
    assert response.status_code == 400
    assert "校验码错误，应为 3" in response.content.decode()
    assert not Person.objects.exists()
    ok = client.post(
        "/people/new/", {"kind": "staff", "name": "对号", "home_site": warehouse.pk, "id_number": "310113198001010013"}
    )
    assert ok.status_code == 302
    assert Person.objects.get().name == "对号"


def test_officer_records_positive_test_in_the_page(client_for, make_person, warehouse):
    person = make_person()
    client = client_for("health")
    taken = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(minutes=10)
    response = client.post(
        f"/people/{person.pk}/tests/",
        {"kind": "antigen", "result": "positive", "taken_at": taken.strftime("%Y-%m-%dT%H:%M"), "site": warehouse.pk},
    )
    assert response.status_code == 302
    incident = Incident.objects.get(person=person)
    warehouse.refresh_from_db()
    assert warehouse.status == "under_control"
    page = client.get(f"/people/incidents/{incident.pk}/").content.decode()
    assert "泰兴桥大仓" in page
    lock = client.post(
        f"/people/sites/{warehouse.pk}/lock-down/", {"reason": "全面封控", "next": f"/people/incidents/{incident.pk}/"}
    )
    assert lock.status_code == 302
    warehouse.refresh_from_db()
    assert warehouse.status == "locked_down"


def test_warehouse_keeper_cannot_record_tests(client_for, make_person):
    person = make_person()
    response = client_for("warehouse").post(f"/people/{person.pk}/tests/", {"kind": "pcr", "result": "negative"})
    assert response.status_code == 403
    assert not HealthTest.objects.exists()


def test_batch_dispatch_screen(client_for, make_person):
    people = [make_person(f"志愿者{i}") for i in range(2)]
    client = client_for("health")
    assert client.get("/people/dispatch/").status_code == 200
    response = client.post(
        "/people/dispatch/",
        {
            "people": [p.pk for p in people],
            "organisation": Organisation.objects.get(code="BSGX").pk,
            "destination_team": "区委组织部志愿服务队",
            "starts_on": "2022-04-06",
            "ends_on": "2022-04-12",
        },
    )
    assert response.status_code == 302
    batch = DispatchBatch.objects.get()
    assert batch.deployments.count() == 2
    listing = client.get("/people/deployments/").content.decode()
    assert 'data-figure="team_times">2<' in listing


def test_phone_check_in(client_for, make_person, user):
    make_person("司机小王", user=user("driver"))
    client = client_for("driver")
    assert client.get("/people/check-in/").status_code == 200
    response = client.post("/people/check-in/", {"form": "check", "temperature": "36.6", "symptoms": ""})
    assert response.status_code == 302
    page = client.get("/people/check-in/").content.decode()
    assert "36.6" in page


def test_dashboard_and_occupancy_pages(client_for, make_person, health, today):
    home = Site.objects.get(code="EH-TY")
    resident = make_person("张阿婆", kind="resident", organisation=None, home_site=home)
    actions.record_health_check(resident, temperature="38.0", actor=health)
    client = client_for("health")
    dashboard = client.get("/people/dashboard/")
    assert dashboard.status_code == 200
    occupancy = client.get(f"/people/sites/{home.pk}/occupancy/").content.decode()
    assert "张阿婆" in occupancy and "38.0" in occupancy
    response = client.post(
        f"/people/sites/{home.pk}/occupancy/",
        {"form": "meal", "served_on": today.isoformat(), "meal": "lunch", "servings": "150"},
    )
    assert response.status_code == 302


def test_api_masks_and_clearance(api_for, make_person, health, today):
    person = make_person(id_number="310113198001010013")
    actions.record_health_test(person, kind="antigen", result="negative", taken_at=at(today, 0, 1), actor=health)
    api = api_for("auditor")
    body = api.get("/api/v1/people/persons/").json()
    assert body["count"] == 1 and body["results"][0]["id_number"] == "310***********0013"
    tests = api.get("/api/v1/people/tests/").json()
    assert tests["results"][0]["result"] == "***"
    assert api.post(f"/api/v1/people/persons/{person.pk}/reveal/", {}, format="json").status_code == 403
    clearance = api.get(f"/api/v1/people/persons/{person.pk}/clearance/?date={today}").json()
    assert clearance == {"person": person.pk, "date": today.isoformat(), "cleared": True, "reasons": []}


def test_api_records_positive_test_and_refuses_bad_input(api_for, make_person, today):
    person = make_person()
    api = api_for("health")
    bad = api.post(
        "/api/v1/people/tests/",
        {"person": person.pk, "kind": "blood", "result": "negative", "taken_at": at(today, 0, 1).isoformat()},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    ok = api.post(
        "/api/v1/people/tests/",
        {
            "person": person.pk,
            "kind": "antigen",
            "result": "positive",
            "taken_at": at(today, 0, 1).isoformat(),
            "site": "WH-TXQ",
        },
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["result"] == "positive"
    incident = api.get("/api/v1/people/incidents/").json()["results"][0]
    assert incident["sites"][0]["site"] == "WH-TXQ" and incident["sites"][0]["status"] == "under_control"
    revealed = api.post(f"/api/v1/people/persons/{person.pk}/reveal/", {"reason": "流调"}, format="json")
    assert revealed.status_code == 200 and revealed.json()["phone"] == "13812345678"


def test_api_other_organisation_is_404(api_for, make_person):
    person = make_person(organisation=Organisation.objects.get(code="YYGS"), home_site=None)
    api = api_for("dispatcher")
    assert api.get(f"/api/v1/people/persons/{person.pk}/").status_code == 404
    assert api.get(f"/api/v1/people/persons/{person.pk}/clearance/").status_code == 404


@pytest.mark.parametrize("path", ["/people/", "/people/deployments/", "/people/incidents/", "/people/dashboard/"])
def test_pages_need_login(client, path, base):
    response = client.get(path)
    assert response.status_code == 302
    assert "login" in response["Location"]
