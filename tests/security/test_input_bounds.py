"""Every input the API accepts is bounded in its schema, with the same limits on both databases:
strings have a maximum length (or a format, pattern or choice list), integers a minimum and a
maximum that both databases can store, lists a maximum number of items. And values past the
bounds (huge quantities, ids past 64 bits, dates no one means, megabytes of text) are field
errors, never a 500 and never a written row."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from baogong.core.api import MAX_ID, MAX_QTY
from baogong.core.models import AuditEvent
from baogong.distribution.models import Request
from baogong.people.models import Deployment, HealthTest

BOUNDED_FORMATS = {"date", "date-time", "time", "decimal", "binary", "uri"}


def schema() -> dict[str, Any]:
    return json.loads(Client().get("/api/v1/openapi.json").content)


def unbounded(node: dict[str, Any], where: str, components: dict[str, Any], seen: tuple[str, ...] = ()) -> list[str]:
    """Where an input below ``node`` has no bound."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return [] if name in seen else unbounded(components[name], f"{where}→{name}", components, (*seen, name))
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in node.get(key, []):
            found += unbounded(sub, where, components, seen)
    if node.get("readOnly") or "enum" in node:
        return found
    kind = node.get("type")
    if kind == "string" and "maxLength" not in node and "pattern" not in node:
        if node.get("format") not in BOUNDED_FORMATS:
            found.append(f"{where}: text without maxLength")
    elif kind == "integer":
        top = node.get("maximum")
        if top is None or node.get("minimum") is None:
            found.append(f"{where}: integer without minimum and maximum")
        elif top != MAX_ID and top > MAX_QTY:  # e.g. 2147483647 from a model field on PostgreSQL
            found.append(f"{where}: integer maximum {top} is the database's, not ours")
    elif kind == "number" and node.get("maximum") is None:
        found.append(f"{where}: number without maximum")
    elif kind == "array":
        if "maxItems" not in node:
            found.append(f"{where}: list without maxItems")
        found += unbounded(node.get("items", {}), f"{where}[]", components, seen)
    for name, child in node.get("properties", {}).items():
        found += unbounded(child, f"{where}.{name}", components, seen)
    return found


def test_every_request_body_field_of_the_api_is_bounded(base):
    document = schema()
    components = document["components"]["schemas"]
    found: list[str] = []
    operations = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for content_type, content in operation.get("requestBody", {}).get("content", {}).items():
                if content_type == "application/json":
                    operations += 1
                    found += unbounded(content["schema"], f"{method.upper()} {path}", components)
    assert operations > 30
    assert found == []


def post(api: Any, url: str, body: Any) -> Any:
    return api.post(url, body, format="json")


@pytest.mark.parametrize(
    "taken_at",
    ["0582-02-10T06:18:43", "1899-12-31T23:59:59+08:00", "2100-01-01T00:00:00+08:00", "0001-01-01T00:00:00Z"],
)
def test_a_health_test_taken_in_a_year_no_one_means_is_a_field_error(api_for, taken_at):
    before = HealthTest.objects.count()
    response = post(
        api_for("commander"),
        "/api/v1/people/tests/",
        {"person": 1, "kind": "pcr", "result": "negative", "taken_at": taken_at},
    )
    assert response.status_code == 400, response.content
    assert response.json()["details"]["taken_at"] == ["日期须在 1950-01-01 到 2099-12-31 之间。"]
    assert HealthTest.objects.count() == before


def test_date_errors_are_in_english_when_english_is_chosen(api_for):
    response = api_for("commander").post(
        "/api/v1/people/deployments/",
        {"person": 1, "duty_type": "supply", "starts_on": "0280-02-12", "ends_on": "2022-05-01"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["details"]["starts_on"] == ["Enter a date between 1950-01-01 and 2099-12-31."]


def test_a_deployment_past_2099_is_a_field_error_and_writes_nothing(api_for):
    before = (Deployment.objects.count(), AuditEvent.objects.count())
    response = post(
        api_for("commander"),
        "/api/v1/people/deployments/",
        {"person": 1, "duty_type": "supply", "starts_on": "2022-05-01", "ends_on": "9999-12-31"},
    )
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"ends_on"}
    assert (Deployment.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipient": "FH-FCL", "lines": [{"item": "X", "qty": 1e30, "needed_by": "2022-04-02"}]}, "lines"),
        ({"recipient": "FH-FCL", "lines": [{"item": "X", "qty": MAX_QTY + 1, "needed_by": "2022-04-02"}]}, "lines"),
        ({"recipient": "FH-FCL", "lines": [{"item": "X", "qty": 1, "needed_by": "1000-04-02"}]}, "lines"),
        ({"recipient": "FH-FCL" * 20, "lines": [{"item": "X", "qty": 1, "needed_by": "2022-04-02"}]}, "recipient"),
        ({"recipient": "FH-FCL", "lines": []}, "lines"),
        ({"recipient": "FH-FCL", "lines": [{"item": "X", "qty": 1, "needed_by": "2022-04-02"}] * 1001}, "lines"),
        (
            {
                "recipient": "FH-FCL",
                "note": "x" * 10_000_000,
                "lines": [{"item": "X", "qty": 1, "needed_by": "2022-04-02"}],
            },
            "note",
        ),
    ],
    ids=["qty-1e30", "qty-past-bound", "year-1000", "long-code", "no-lines", "1001-lines", "10-MB-note"],
)
def test_out_of_bound_requests_are_field_errors_and_write_nothing(api_for, body, field):
    before = (Request.objects.count(), AuditEvent.objects.count())
    response = post(api_for("commander"), "/api/v1/distribution/requests/", body)
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()["details"]
    assert (Request.objects.count(), AuditEvent.objects.count()) == before


def test_an_allocation_run_naming_a_request_id_past_64_bits_is_a_field_error(api_for):
    response = post(
        api_for("commander"),
        "/api/v1/distribution/allocation-runs/",
        {"warehouses": ["WH-TXQ"], "requests": [99999999999999999999]},
    )
    assert response.status_code == 400
    assert "requests" in response.json()["details"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lat": 91, "lon": 121.4}, "lat"),
        ({"lat": 31.3, "lon": -181}, "lon"),
        ({"headcount": 10**12, "lat": 31.3, "lon": 121.4}, "headcount"),
        ({"organisation": "X" * 100_000, "lat": 31.3, "lon": 121.4}, "organisation"),
    ],
)
def test_site_numbers_and_codes_are_bounded(api_for, body, field):
    site = {"code": "DP-NEW", "name": "新收货点", "kind": "delivery_point", "organisation": "BSGX", **body}
    response = post(api_for("commander"), "/api/v1/sites/", site)
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()["details"]


@pytest.mark.parametrize(
    "data",
    [{"name": "王\x00敏"}, {"note": "a\x00b"}, {"item_0": "N\x0095"}, {"x\x00": "1"}],
    ids=["name", "note", "item", "key"],
)
def test_a_nul_character_in_a_page_form_is_refused_on_both_databases(base, client, data):
    from baogong.core.audit import SystemActor
    from baogong.distribution import actions
    from baogong.orgs.models import Site

    link = actions.create_request_link(Site.objects.get(code="SO-310113007"), actor=SystemActor("tests"))
    before = (Request.objects.count(), AuditEvent.objects.count())
    body = {"item_0": "N95", "qty_0": "5", "needed_by_0": "2099-01-01", "name": "王敏", "phone": "13912345678", **data}
    response = client.post(f"/r/{link.token}/", body)
    assert response.status_code == 400
    assert (Request.objects.count(), AuditEvent.objects.count()) == before
    assert client.get("/distribution/requests/", {"q": "a\x00b"}).status_code == 400
