"""The distribution API: requests, approval, allocation preview/confirm, shipments and delivery."""

from __future__ import annotations

from decimal import Decimal

from rest_framework.test import APIClient

from baogong.core.models import ApiToken
from baogong.distribution.models import Request
from baogong.fleet.tests.registered import registered_transport
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs.models import Site

from .conftest import SYSTEM, in_days


def client_of(user):
    raw = ApiToken.generate()
    ApiToken.objects.create(user=user, prefix=raw[:8], digest=ApiToken.digest_of(raw))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_file_approve_allocate_ship_and_deliver_through_the_api(api_for, n95, hospital):
    inventory_actions.receive_stock(
        Site.objects.get(code="WH-TXQ"),
        [ReceiptLineInput(item=n95, batch="B1", qty=50, unit_cost=Decimal("250"), expiry=in_days(90))],
        actor=SYSTEM,
        qc_status="released",
    )
    api = api_for("commander")
    # file
    response = api.post(
        "/api/v1/distribution/requests/",
        {
            "recipient": "FH-FCL",
            "lines": [{"item": "N95", "qty": 80, "needed_by": in_days(1).isoformat()}],
            "submit": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["channel"], body["lines"][0]["qty"]) == ("submitted", "api", 80)
    # approve with a cut
    line_id = body["lines"][0]["id"]
    response = api.post(
        f"/api/v1/distribution/requests/{body['id']}/approve/",
        {"cuts": [{"line": line_id, "approved_qty": 60, "reason": "norm"}]},
        format="json",
    )
    assert response.json()["lines"][0]["approved_qty"] == 60
    # preview and confirm
    response = api.post("/api/v1/distribution/allocation-runs/", {"warehouses": ["WH-TXQ"]}, format="json")
    assert response.status_code == 201
    run = response.json()
    assert [(li["recipient"], li["claim"], li["qty"], li["basis"]) for li in run["lines"]] == [
        ("FH-FCL", 60, 50, "pro_rata")
    ]
    response = api.post(f"/api/v1/distribution/allocation-runs/{run['id']}/confirm/")
    assert response.json()["status"] == "confirmed"
    # ship
    response = api.post("/api/v1/distribution/shipments/plan/", {}, format="json")
    assert response.status_code == 201
    (shipment,) = response.json()
    transport = registered_transport()
    for step, body in (("pick", {}), ("load", transport), ("dispatch", {})):
        response = api.post(f"/api/v1/distribution/shipments/{shipment['id']}/{step}/", body, format="json")
        assert response.status_code == 200, response.content
    assert response.json()["status"] == "in_transit"
    delivery = {
        "lines": [{"line": shipment["lines"][0]["id"], "received": 50}],
        "received_by": "张",
        "receiver_phone": "13800000000",
        "client_token": "api-1",
    }
    response = api.post(f"/api/v1/distribution/shipments/{shipment['id']}/deliver/", delivery, format="json")
    assert response.json()["status"] == "delivered"
    assert response.json()["lines"][0]["received_qty"] == 50


def test_bad_request_body_gets_field_errors_and_writes_nothing(api_for, n95):
    api = api_for("commander")
    response = api.post(
        "/api/v1/distribution/requests/",
        {"recipient": "FH-FCL", "lines": [{"item": "N95", "qty": 0, "needed_by": "soon"}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"]
    assert Request.objects.count() == 0


def test_auditor_reads_but_may_not_approve(api_for, file, hospital, n95):
    request = file(hospital, (n95, 5, in_days(1)))
    api = api_for("auditor")
    assert api.get(f"/api/v1/distribution/requests/{request.pk}/").status_code == 200
    assert api.post(f"/api/v1/distribution/requests/{request.pk}/approve/", {}, format="json").status_code == 403
    request.refresh_from_db()
    assert request.status == "submitted"


def test_other_recipients_requests_are_404(recipient_user, file, hospital, elderly_home, n95):
    theirs = file(hospital, (n95, 5, in_days(1)))
    own = file(elderly_home, (n95, 5, in_days(1)))
    api = client_of(recipient_user)
    assert api.get(f"/api/v1/distribution/requests/{theirs.pk}/").status_code == 404
    assert api.get(f"/api/v1/distribution/requests/{own.pk}/").status_code == 200
    assert [r["id"] for r in api.get("/api/v1/distribution/requests/").json()["results"]] == [own.pk]


def test_conflicting_step_answers_409(api_for, file, hospital, n95):
    request = file(hospital, (n95, 5, in_days(1)), submit=False)
    response = api_for("commander").post(f"/api/v1/distribution/requests/{request.pk}/approve/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "request_state_invalid"


def test_openapi_documents_the_distribution_endpoints(api_for):
    schema = api_for("commander").get("/api/v1/openapi.json").json()
    for path in [
        "/api/v1/distribution/requests/",
        "/api/v1/distribution/requests/{id}/approve/",
        "/api/v1/distribution/allocation-runs/",
        "/api/v1/distribution/allocation-runs/{id}/confirm/",
        "/api/v1/distribution/shipments/plan/",
        "/api/v1/distribution/shipments/{id}/deliver/",
    ]:
        assert path in schema["paths"], path
