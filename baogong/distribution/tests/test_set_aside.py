"""One bad record never blocks the many: a recipient without coordinates has its requests set
aside by the allocation run (with the reason, on the page and in the API) while everyone else is
allocated; a warehouse without coordinates is refused when it is created. And the API names only
sites within the caller's organisations."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from baogong.core.models import ApiToken
from baogong.distribution import actions
from baogong.distribution.models import AllocationRun, Request
from baogong.orgs.models import Site

from .conftest import SYSTEM, in_days, receive_n95


@pytest.fixture
def stocked(n95):
    receive_n95(n95, 500)


@pytest.fixture
def uncharted(api_for):
    """A delivery point created through the API without coordinates (accepted: it only receives)."""
    response = api_for("commander").post(
        "/api/v1/sites/",
        {"code": "DP-NOGEO", "name": "无坐标收货点", "kind": "delivery_point", "organisation": "BSGX"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["lat"] is None
    return Site.objects.get(code="DP-NOGEO")


def test_requests_of_a_recipient_without_coordinates_are_set_aside_and_everyone_else_allocated(
    api_for, file, hospital, elderly_home, uncharted, n95, stocked
):
    # given two approved requests with coordinates and one without
    served = [
        actions.approve_request(file(site, (n95, 100, in_days(1))), actor=SYSTEM) for site in (hospital, elderly_home)
    ]
    aside = actions.approve_request(file(uncharted, (n95, 100, in_days(1))), actor=SYSTEM)
    api = api_for("commander")
    # when
    response = api.post("/api/v1/distribution/allocation-runs/", {"warehouses": ["WH-TXQ"]}, format="json")
    # then the run is made: the others are allocated in full, the uncharted request is listed aside
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["summary"]["set_aside"] == [
        {"request": aside.number, "recipient": "DP-NOGEO", "reason": "no_coordinates"}
    ]
    assert body["summary"]["allocated"] == 200
    assert sorted(line["request"] for line in body["lines"]) == sorted(r.number for r in served)
    # and confirming reserves the others' stock; the uncharted request waits, untouched
    confirmed = api.post(f"/api/v1/distribution/allocation-runs/{body['id']}/confirm/", format="json")
    assert confirmed.status_code == 200
    assert [Request.objects.get(pk=r.pk).status for r in served] == ["allocated", "allocated"]
    assert Request.objects.get(pk=aside.pk).status == "approved"


def test_the_run_page_says_which_requests_were_set_aside_and_why(client_for, file, hospital, uncharted, n95, stocked):
    actions.approve_request(file(hospital, (n95, 100, in_days(1))), actor=SYSTEM)
    aside = actions.approve_request(file(uncharted, (n95, 50, in_days(1))), actor=SYSTEM)
    client = client_for("commander")
    response = client.post("/distribution/allocation/", {"warehouse": [Site.objects.get(code="WH-TXQ").pk]})
    run = AllocationRun.objects.get()
    assert response.url == f"/distribution/allocation/{run.pk}/"
    page = client.get(response.url).content.decode()
    assert "1 个需求单被暂时搁置，其他需求单已正常分配。" in page
    assert f"{aside.number} · DP-NOGEO: 收货单位没有坐标；请先为该场所补充坐标，再重新分配。" in page


def test_a_run_with_only_uncharted_requests_allocates_nothing_and_says_why(api_for, file, uncharted, n95, stocked):
    aside = actions.approve_request(file(uncharted, (n95, 10, in_days(1))), actor=SYSTEM)
    response = api_for("commander").post(
        "/api/v1/distribution/allocation-runs/", {"warehouses": ["WH-TXQ"], "requests": [aside.pk]}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["lines"] == []
    assert [entry["request"] for entry in response.json()["summary"]["set_aside"]] == [aside.number]


def test_a_warehouse_without_coordinates_is_refused_at_creation_with_field_errors(api_for):
    api = api_for("commander")
    body = {"code": "WH-NOGEO", "name": "无坐标仓库", "kind": "warehouse", "organisation": "CYGS"}
    response = api.post("/api/v1/sites/", body, format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {
        "lat": ["仓库需要坐标（纬度和经度）。"],
        "lon": ["仓库需要坐标（纬度和经度）。"],
    }
    assert not Site.objects.filter(code="WH-NOGEO").exists()
    english = api.post("/api/v1/sites/", {**body, "lat": 31.3}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["details"] == {"lon": ["A warehouse needs its coordinates (latitude and longitude)."]}
    made = api.post("/api/v1/sites/", {**body, "lat": 31.3, "lon": 121.4}, format="json")
    assert made.status_code == 201


def test_the_site_form_refuses_a_warehouse_without_coordinates(client_for):
    from baogong.orgs.models import Organisation

    organisation = Organisation.objects.get(code="CYGS")
    response = client_for("commander").post(
        "/sites/new/",
        {
            "code": "WH-FORM",
            "name": "表单仓库",
            "kind": "warehouse",
            "organisation": organisation.pk,
            "priority_tier": 4,
        },
    )
    assert response.status_code == 400
    assert "仓库需要坐标（纬度和经度）。" in response.content.decode()
    assert not Site.objects.filter(code="WH-FORM").exists()


# --- sites named in the API are looked up within the caller's organisations ---------------------
def token_client(user) -> APIClient:
    raw = ApiToken.generate()
    ApiToken.objects.create(user=user, prefix=raw[:8], digest=ApiToken.digest_of(raw))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_recipient_outside_the_callers_organisations_is_not_found(recipient_user, hospital, elderly_home, n95):
    api = token_client(recipient_user)
    line = {"item": "N95", "qty": 5, "needed_by": in_days(1).isoformat()}
    before = Request.objects.count()
    outside = api.post("/api/v1/distribution/requests/", {"recipient": "FH-FCL", "lines": [line]}, format="json")
    assert outside.status_code == 404
    assert outside.json()["code"] == "not_found"
    unknown = api.post("/api/v1/distribution/requests/", {"recipient": "NO-SUCH", "lines": [line]}, format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")  # no hint which of the two
    assert Request.objects.count() == before
    own = api.post("/api/v1/distribution/requests/", {"recipient": "EH-TY", "lines": [line]}, format="json")
    assert own.status_code == 201, own.content


def test_a_warehouse_outside_the_callers_organisations_is_not_found_for_a_run(user, n95):
    # the 泰兴桥 keeper's scope is the one warehouse: another organisation's warehouse is not there
    from django.contrib.auth.models import Permission

    keeper = user("warehouse")
    keeper.user_permissions.add(Permission.objects.get(codename="run_allocation"))
    keeper = type(keeper).objects.get(pk=keeper.pk)
    response = token_client(keeper).post(
        "/api/v1/distribution/allocation-runs/", {"warehouses": ["WH-YY"]}, format="json"
    )
    assert response.status_code == 404
    assert not AllocationRun.objects.exists()
