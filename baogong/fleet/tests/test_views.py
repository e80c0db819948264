"""Pages and API of the fleet, as the dispatcher, a driver, the auditor and another organisation see them."""

import datetime as dt
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.fleet import actions
from baogong.fleet.models import RoutePlan, Vehicle, VehiclePass
from baogong.fleet.tasks import run_plan
from baogong.orgs.models import AdministrativeArea, Organisation, Site

from .conftest import DAY


@pytest.fixture
def planned(cygs, make_vehicle, make_pass, user):
    v1 = make_vehicle("沪A10001", capacity_kg=1200)
    v2 = make_vehicle("沪A10002", capacity_kg=1200, home_depot=Site.objects.get(code="WH-BY"))
    make_pass(v1, number="310113000011")
    stops = [
        actions.StopInput(Site.objects.get(code=c), demand_kg=300, demand_cases=5, reference=f"DN-{c}")
        for c in ["EH-TY", "HT-WYN", "HT-QJ", "IP-HKL", "FH-FCL", "FH-MPL"]
    ]
    plan = actions.create_plan(cygs, DAY, [v1, v2], stops, options={"time_limit_s": 1}, actor=user("dispatcher"))
    run_plan(plan)
    plan.refresh_from_db()
    return plan


def test_dispatcher_creates_a_vehicle_through_the_page(client_for, depot):
    client = client_for("dispatcher")
    cygs = Organisation.objects.get(code="CYGS")
    response = client.post(
        "/fleet/vehicles/new/",
        {
            "organisation": cygs.pk,
            "plate": "沪B88888",
            "kind": "refrigerated",
            "capacity_kg": 2000,
            "capacity_m3": "12.5",
            "capacity_cases": 150,
            "cold_chain": "on",
            "home_depot": depot.pk,
            "status": "active",
        },
    )
    vehicle = Vehicle.objects.get(plate="沪B88888")
    assert response.status_code == 302 and response["Location"] == f"/fleet/vehicles/{vehicle.pk}/"
    assert vehicle.cold_chain and vehicle.capacity_cases == 150
    page = client.get("/fleet/vehicles/").content.decode()
    assert "沪B88888" in page


def test_bad_vehicle_form_answers_400_with_field_errors(client_for):
    client = client_for("dispatcher")
    response = client.post("/fleet/vehicles/new/", {"plate": "X", "kind": "van", "capacity_kg": 0})
    assert response.status_code == 400
    assert Vehicle.objects.count() == 0


def test_register_and_revoke_a_pass_with_scan_through_the_page(client_for, make_vehicle, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    vehicle = make_vehicle()
    client = client_for("dispatcher")
    areas = AdministrativeArea.objects.filter(code__in=["310113104", "310113103"])
    response = client.post(
        f"/fleet/vehicles/{vehicle.pk}/passes/new/",
        {
            "number": "310113123456",
            "valid_from": "2022-04-15",
            "valid_until": "2022-04-30",
            "issuing_body": "宝山区交通委",
            "areas": [a.pk for a in areas],
            "scan": SimpleUploadedFile("pass.png", b"\x89PNG scan", content_type="image/png"),
        },
    )
    assert response.status_code == 302
    vpass = VehiclePass.objects.get(number="310113123456")
    assert sorted(a.code for a in vpass.areas.all()) == ["310113103", "310113104"]
    assert client.get(f"/fleet/passes/{vpass.pk}/scan/").content == b"\x89PNG scan"
    page = client.get(f"/fleet/vehicles/{vehicle.pk}/").content.decode()
    assert "310113123456" in page and "月浦镇" in page
    assert client.post(f"/fleet/passes/{vpass.pk}/revoke/").status_code == 302
    vpass.refresh_from_db()
    assert vpass.revoked


def test_bad_pass_number_answers_400(client_for, make_vehicle):
    vehicle = make_vehicle()
    response = client_for("dispatcher").post(
        f"/fleet/vehicles/{vehicle.pk}/passes/new/",
        {"number": "12345", "valid_from": "2022-04-15", "valid_until": "2022-04-30", "issuing_body": "x", "areas": []},
    )
    assert response.status_code == 400
    assert VehiclePass.objects.count() == 0


def test_another_organisations_vehicle_is_404(client_for, system, depot):
    other = actions.create_vehicle(
        {
            "organisation": Organisation.objects.get(code="YYGS"),
            "plate": "沪C00001",
            "kind": "van",
            "capacity_kg": 800,
            "home_depot": depot,
        },
        actor=system,
    )
    client = client_for("dispatcher")
    assert client.get(f"/fleet/vehicles/{other.pk}/").status_code == 404
    assert "沪C00001" not in client.get("/fleet/vehicles/").content.decode()


def test_auditor_reads_but_cannot_plan(client_for, planned):
    client = client_for("auditor")
    assert client.get(f"/fleet/plans/{planned.pk}/").status_code == 200
    assert client.get("/fleet/plans/new/").status_code == 403
    assert client.get("/fleet/vehicles/new/").status_code == 403


def test_plan_page_starts_a_background_plan_and_shows_progress(client_for, make_vehicle):
    v = make_vehicle()
    client = client_for("dispatcher")
    response = client.post(
        "/fleet/plans/new/",
        {
            "organisation": Organisation.objects.get(code="CYGS").pk,
            "date": "2022-04-20",
            "vehicles": [v.pk],
            "recipients": [s.pk for s in Site.objects.filter(code__in=["EH-TY", "HT-WYN"])],
            "demand_kg": 100,
            "demand_cases": 2,
            "service_minutes": 10,
            "detour_factor": "1.3",
            "speed_kmh": "30",
            "time_limit_s": 2,
            "shift_start": "08:00",
            "shift_minutes": 600,
        },
    )
    plan = RoutePlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/fleet/plans/{plan.pk}/"
    assert plan.status == "planning" and plan.stops.count() == 2
    partial = client.get(f"/fleet/plans/{plan.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in partial and 'role="progressbar"' in partial


def test_plan_page_shows_routes_map_and_dispatch_verdicts(client_for, planned):
    page = client_for("dispatcher").get(f"/fleet/plans/{planned.pk}/").content.decode()
    assert "plan-map-data" in page and "echarts.min.js" in page
    match = re.search(r'<script id="plan-map-data" type="application/json">(.*?)</script>', page, re.S)
    data = json.loads(match.group(1))
    assert len(data["outline"]) >= 4 and data["outline"][0] == data["outline"][-1]
    assert sum(len(r["stops"]) for r in data["routes"]) == 6
    # the map's axes and tooltips speak the reader's language, never the code's names
    assert data["labels"] == {
        "outline": "区界",
        "areas": "街镇",
        "depots": "仓库",
        "unassigned": "未排入线路",
        "lon": "经度",
        "lat": "纬度",
    }
    for route in planned.routes.all():
        assert route.vehicle.plate in page
    # 沪A10002 has no pass: its loading is refused, saying why
    if planned.routes.filter(vehicle__plate="沪A10002").exists():
        assert "沪A10002 在 2022-04-20 没有有效通行证" in page


def test_move_stop_with_htmx_answers_the_recomputed_plan(client_for, planned):
    route = planned.routes.order_by("vehicle__plate").first()
    stop = route.stops.order_by("position").last()
    client = client_for("dispatcher")
    response = client.post(f"/fleet/stops/{stop.pk}/move/", {"route": route.pk, "position": 1}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    stop.refresh_from_db()
    assert stop.position == 1
    assert "plan-map-data" in response.content.decode()


def test_route_sheet_is_a_pdf(client_for, planned):
    route = planned.routes.first()
    response = client_for("dispatcher").get(f"/fleet/routes/{route.pk}/sheet.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 5000


def test_driver_sees_only_their_own_route(client_for, planned, make_driver, user):
    driver_user = user("driver")
    driver = make_driver(user=driver_user)
    mine, *others = list(planned.routes.order_by("vehicle__plate"))
    actions.assign_driver(mine, driver, actor=user("dispatcher"))
    client = client_for("driver")
    assert client.get("/fleet/vehicles/").status_code == 403
    page = client.get(f"/fleet/plans/{planned.pk}/").content.decode()
    assert mine.vehicle.plate in page
    for other in others:
        assert f"/fleet/routes/{other.pk}/sheet.pdf" not in page
        assert client.get(f"/fleet/routes/{other.pk}/sheet.pdf").status_code == 404
    assert client.get(f"/fleet/routes/{mine.pk}/sheet.pdf").status_code == 200


def test_driver_without_routes_sees_no_plan(client_for, planned):
    client = client_for("driver")
    assert client.get(f"/fleet/plans/{planned.pk}/").status_code == 404


def test_api_dispatch_check_refuses_an_expired_pass(api_for, make_vehicle, make_pass, make_driver):
    vehicle = make_vehicle()
    make_pass(vehicle, valid_from=dt.date(2022, 4, 1), days=7)
    driver = make_driver()
    client = api_for("dispatcher")
    body = {"vehicle": "沪A12345", "driver": driver.pk, "date": "2022-04-20", "sites": ["EH-TY"]}
    response = client.post("/api/v1/fleet/dispatch-check/", body, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "allowed": False,
        "reasons": ["车辆 沪A12345：通行证 310113000001 已于 2022-04-07 过期。"],
    }
    # once a new pass covering the day is registered, the same check allows the dispatch
    make_pass(vehicle, number="310113000002", valid_from=dt.date(2022, 4, 18), days=7)
    assert client.post("/api/v1/fleet/dispatch-check/", body, format="json").json() == {"allowed": True, "reasons": []}


def test_api_dispatch_check_unknown_site_is_a_field_error(api_for, make_vehicle):
    make_vehicle()
    response = api_for("dispatcher").post(
        "/api/v1/fleet/dispatch-check/",
        {"vehicle": "沪A12345", "date": "2022-04-20", "sites": ["NOPE"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "sites" in response.json()["details"]


def test_api_lists_plans_with_routes(api_for, planned):
    response = api_for("dispatcher").get("/api/v1/fleet/plans/")
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["id"] == planned.pk
    assert sum(len(r["stops"]) for r in result["routes"]) == 6
    assert api_for("auditor").get("/api/v1/fleet/vehicles/").status_code == 200
    assert api_for("warehouse").get("/api/v1/fleet/vehicles/").status_code == 403


def test_assigning_a_driver_through_the_page_and_a_bad_choice_says_why(client_for, planned, make_driver):
    driver = make_driver()
    route = planned.routes.order_by("vehicle__plate").first()
    client = client_for("dispatcher")

    response = client.post(f"/fleet/routes/{route.pk}/driver/", {"driver": driver.pk}, follow=True)
    route.refresh_from_db()
    assert route.driver_id == driver.pk and driver.name in response.content.decode()

    # a driver that is not among the plan's (unknown id) is refused with a message, nothing changes
    response = client.post(f"/fleet/routes/{route.pk}/driver/", {"driver": 999999}, follow=True)
    route.refresh_from_db()
    assert route.driver_id == driver.pk
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
