"""Creating and changing people and deployments through the API: validated, sealed, masked,
field-level errors in Chinese and English, Idempotency-Key honoured, documented in OpenAPI."""

import pytest

from baogong.core.models import AuditEvent
from baogong.orgs.models import Site
from baogong.people.models import Deployment, Person

from .conftest import make_id_number

PERSONS = "/api/v1/people/persons/"


def body(**extra):
    data = {
        "kind": "staff",
        "name": "李保供",
        "organisation": "CYGS",
        "home_site": "WH-TXQ",
        "id_number": "310113198001010013",
        "phone": "13812345678",
        "position": "仓管员",
    }
    data.update(extra)
    return data


def test_create_person_stores_sealed_and_answers_masked(api_for):
    response = api_for("health").post(PERSONS, body(), format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["name"], data["organisation"], data["home_site"]) == ("李保供", "CYGS", "WH-TXQ")
    assert (data["id_number"], data["phone"]) == ("310***********0013", "138****5678")
    person = Person.objects.get(pk=data["id"])
    assert "310113198001010013" not in person.id_number_cipher
    assert person.id_number_plain() == "310113198001010013"
    assert person.phone_plain() == "13812345678"
    event = AuditEvent.objects.get(verb="create_person", object_id=str(person.pk))
    assert "310113198001010013" not in str(event.after) and "13812345678" not in str(event.after)


def test_bad_id_number_answers_field_errors_in_chinese_and_english_and_writes_nothing(api_for):
    response = api_for("health").post(PERSONS, body(id_number="310113198001010014", phone="12ab"), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "person_invalid"
    assert response.json()["details"] == {
        "id_number": ["校验码错误，应为 3 / check character should be 3"],
        "phone": ["电话号码应为7到15位数字 / a phone number has 7 to 15 digits"],
    }
    assert not Person.objects.exists()
    assert not AuditEvent.objects.filter(verb="create_person").exists()


def test_missing_name_kind_and_unknown_codes_are_field_errors(api_for):
    api = api_for("health")
    missing = api.post(PERSONS, {"home_site": "WH-TXQ"}, format="json")
    assert missing.status_code == 400
    assert missing.json()["details"]["name"] == ["请填写姓名 / give the name"]
    assert set(missing.json()["details"]) == {"name", "kind"}
    unknown = api.post(PERSONS, body(home_site="NOPE"), format="json")
    assert unknown.status_code == 400
    assert unknown.json()["details"] == {"home_site": ["未知的场所编码 / unknown home_site code: NOPE"]}
    duplicate_id = api.post(PERSONS, body(), format="json")
    assert duplicate_id.status_code == 201
    again = api.post(PERSONS, body(name="另一人"), format="json")
    assert again.status_code == 400
    assert again.json()["details"] == {"id_number": ["这个身份证号已登记 / this ID number is already registered"]}
    assert Person.objects.count() == 1


def test_retried_post_with_the_same_idempotency_key_creates_one_person(api_for):
    api = api_for("health")
    first = api.post(PERSONS, body(), format="json", HTTP_IDEMPOTENCY_KEY="people-create-1")
    second = api.post(PERSONS, body(), format="json", HTTP_IDEMPOTENCY_KEY="people-create-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Person.objects.count() == 1
    assert AuditEvent.objects.filter(verb="create_person").count() == 1


def test_update_changes_only_given_fields_and_replaces_the_phone(api_for, make_person):
    person = make_person(id_number="310113198001010013")
    api = api_for("health")
    response = api.patch(f"{PERSONS}{person.pk}/", {"position": "班组长", "phone": "13900001111"}, format="json")
    assert response.status_code == 200
    assert (response.json()["position"], response.json()["phone"]) == ("班组长", "139****1111")
    person.refresh_from_db()
    assert (person.name, person.phone_plain(), person.id_number_plain()) == (
        "王建国",
        "13900001111",
        "310113198001010013",
    )
    event = AuditEvent.objects.get(verb="update_person")
    assert event.after["position"] == "班组长" and event.after["phone_cipher"] == "***"
    bad = api.put(f"{PERSONS}{person.pk}/", {"id_number": "123"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["details"] == {"id_number": ["长度应为18位，实为3位 / must be 18 characters, got 3"]}
    person.refresh_from_db()
    assert person.id_number_plain() == "310113198001010013"


def test_write_permissions_and_scope(api_for, make_person):
    assert api_for("auditor").post(PERSONS, body(), format="json").status_code == 403
    assert api_for("dispatcher").post(PERSONS, body(), format="json").status_code == 403
    outsider = make_person(organisation=None, home_site=Site.objects.get(code="HT-WYN"))
    assert api_for("warehouse").patch(f"{PERSONS}{outsider.pk}/", {"name": "x"}, format="json").status_code == 403
    assert Person.objects.get(pk=outsider.pk).name == "王建国"


def test_list_is_masked_and_filterable(api_for, make_person):
    make_person("甲", id_number=make_id_number())
    make_person("乙", kind="volunteer", id_number=make_id_number())
    listed = api_for("health").get(f"{PERSONS}?kind=volunteer").json()
    assert [r["name"] for r in listed["results"]] == ["乙"]
    assert listed["results"][0]["id_number"].count("*") == 11


def test_deployment_created_through_the_api_and_refused_when_not_cleared(api_for, make_person, health, today):
    person = make_person()
    api = api_for("health")
    created = api.post(
        "/api/v1/people/deployments/",
        {
            "person": person.pk,
            "duty_type": "supply",
            "site": "WH-TXQ",
            "starts_on": today.isoformat(),
            "ends_on": today.isoformat(),
            "shift": "night",
        },
        format="json",
    )
    assert created.status_code == 201
    assert (created.json()["duty_type"], created.json()["site"], created.json()["shift"]) == (
        "supply",
        "WH-TXQ",
        "night",
    )
    assert AuditEvent.objects.filter(verb="deploy_person").count() == 1
    backwards = api.post(
        "/api/v1/people/deployments/",
        {"person": person.pk, "duty_type": "supply", "starts_on": today.isoformat(), "ends_on": "2000-01-01"},
        format="json",
    )
    assert backwards.status_code == 400
    assert backwards.json()["details"] == {"ends_on": ["结束日期早于开始日期 / ends before it starts"]}
    person.health_status = "positive"
    person.save()
    refused = api.post(
        "/api/v1/people/deployments/",
        {"person": person.pk, "duty_type": "supply", "starts_on": today.isoformat(), "ends_on": today.isoformat()},
        format="json",
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "person_not_cleared"
    assert Deployment.objects.count() == 1
    assert api_for("auditor").post("/api/v1/people/deployments/", {}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/people/persons/", "post"),
        ("/api/v1/people/persons/{id}/", "patch"),
        ("/api/v1/people/deployments/", "post"),
        ("/api/v1/people/guest-requests/", "post"),
        ("/api/v1/people/guest-requests/{id}/convert/", "post"),
    ],
)
def test_openapi_documents_the_write_operations(client, base, path, method):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"][path][method]
    assert "requestBody" in operation
    assert "400" in operation["responses"]
