"""Invariant 5: a user sees and changes only their organisations' records; others answer 404."""

import pytest

from baogong.orgs.models import Site


def site(code):
    return Site.objects.get(code=code)


@pytest.mark.parametrize(
    ("username", "visible", "hidden"),
    [
        ("warehouse", "WH-TXQ", "PH-01"),
        ("dispatcher", "WH-TXQ", "WH-YY"),
        ("pharmacist", "PH-07", "WH-YY"),
        ("procurement", "WH-YY", "WH-TXQ"),
        ("health", "EH-TY", "FH-FCL"),
    ],
)
def test_pages_and_api_show_own_sites_and_answer_404_for_others(client_for, api_for, username, visible, hidden):
    client = client_for(username)
    assert client.get(f"/sites/{site(visible).pk}/").status_code == 200
    assert client.get(f"/sites/{site(hidden).pk}/").status_code == 404
    api = api_for(username)
    assert api.get(f"/api/v1/sites/{site(visible).pk}/").status_code == 200
    response = api.get(f"/api/v1/sites/{site(hidden).pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    codes = {s["code"] for s in api.get("/api/v1/sites/?page_size=500").json()["results"]}
    assert visible in codes and hidden not in codes


def test_pharmacist_sees_exactly_the_22_pharmacies(api_for):
    data = api_for("pharmacist").get("/api/v1/sites/?page_size=500").json()
    assert data["count"] == 22
    assert {s["kind"] for s in data["results"]} == {"pharmacy"}


def test_commander_and_auditor_see_everything(api_for):
    total = Site.objects.count()
    assert api_for("commander").get("/api/v1/sites/").json()["count"] == total
    assert api_for("auditor").get("/api/v1/sites/").json()["count"] == total


def test_writes_to_another_organisations_site_answer_404_and_change_nothing(client_for):
    health = client_for("health")  # may set status, but only inside the group
    hospital = site("FH-FCL")
    response = health.post(f"/sites/{hospital.pk}/status/", {"status": "locked_down", "reason": "阳性"})
    assert response.status_code == 404
    hospital.refresh_from_db()
    assert hospital.status == "normal"


def test_forbidden_action_answers_403_and_changes_nothing(client_for):
    keeper = client_for("warehouse")
    own = site("WH-TXQ")
    response = keeper.post(f"/sites/{own.pk}/status/", {"status": "closed", "reason": "x"})
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.status == "normal"


def test_auditor_is_read_only(api_for):
    response = api_for("auditor").post(
        "/api/v1/sites/", {"code": "X1", "name": "x", "kind": "delivery_point", "organisation": "BSZF"}, format="json"
    )
    assert response.status_code == 403
    assert not Site.objects.filter(code="X1").exists()


def test_organisation_list_is_scoped(api_for):
    codes = {o["code"] for o in api_for("dispatcher").get("/api/v1/organisations/").json()["results"]}
    assert codes == {"CYGS", "CYGS-ZX"}
