"""Every POST in the API honours ``Idempotency-Key`` (the list is generated from the OpenAPI
schema, so new endpoints are covered): the same key and body replays the first answer and
creates nothing twice; the same key with another body answers 422. On PostgreSQL, N clients
sending the same creating request with the same key at once create exactly one document; every
answer is the first one's 201 body or a 409 "in flight".

Not marked ``security``: these also run in the PostgreSQL pass of ``make test``.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from baogong.catalog import actions as catalog_actions
from baogong.catalog.models import Item
from baogong.core.audit import SystemActor
from baogong.core.models import ApiToken
from baogong.distribution.models import Request
from baogong.inventory.models import Receipt

SYSTEM = SystemActor("tests")


def post_operations(api: APIClient) -> list[str]:
    schema = api.get("/api/v1/openapi.json").json()
    return sorted(template for template, item in schema["paths"].items() if "post" in item)


def concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "987654321", template)


@pytest.fixture
def n95(base):
    return catalog_actions.create_item({"code": "N95", "name": "医用防护口罩", "unit": "盒"}, actor=SYSTEM)


def receipt_body(qty: int = 10) -> dict[str, Any]:
    return {
        "warehouse": "WH-TXQ",
        "reference": "PO-IDEM",
        "lines": [{"item": "N95", "lot": "IDEM-1", "expiry": "2030-01-31", "qty": qty, "unit_cost": "2.50"}],
    }


def request_body(qty: int = 30) -> dict[str, Any]:
    needed = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    return {"recipient": "FH-FCL", "lines": [{"item": "N95", "qty": qty, "needed_by": needed}], "submit": True}


def test_the_schema_lists_the_creating_posts(api_for):
    operations = post_operations(api_for("commander"))
    for path in ("/api/v1/inventory/receipts/", "/api/v1/distribution/requests/", "/api/v1/catalog/items/"):
        assert path in operations
    assert len(operations) >= 30


def test_every_post_operation_replays_and_refuses_another_body_with_the_same_key(api_for):
    api = api_for("commander")
    failures = []
    for n, template in enumerate(post_operations(api)):
        path = concrete(template)
        key = f"matrix-{n}"
        first = api.post(path, {"probe": 1}, format="json", HTTP_IDEMPOTENCY_KEY=key)
        again = api.post(path, {"probe": 1}, format="json", HTTP_IDEMPOTENCY_KEY=key)
        other = api.post(path, {"probe": 2}, format="json", HTTP_IDEMPOTENCY_KEY=key)
        if first.status_code >= 500:
            failures.append((template, "first answer", first.status_code))
            continue
        if again.get("Idempotent-Replayed") != "true" or (again.status_code, again.content) != (
            first.status_code,
            first.content,
        ):
            failures.append((template, "not replayed", first.status_code, again.status_code))
        if other.status_code != 422 or other.json()["code"] != "idempotency_key_reused":
            failures.append((template, "other body", other.status_code))
    assert failures == []


@pytest.mark.parametrize(
    ("path", "body", "changed", "model"),
    [
        ("/api/v1/inventory/receipts/", receipt_body(10), receipt_body(11), Receipt),
        ("/api/v1/distribution/requests/", request_body(30), request_body(31), Request),
        (
            "/api/v1/catalog/items/",
            {"code": "IDEM-ITEM", "name": "幂等物资", "unit": "箱"},
            {"code": "IDEM-ITEM", "name": "幂等物资2", "unit": "箱"},
            Item,
        ),
    ],
)
def test_a_retried_creating_post_creates_one_document(api_for, n95, path, body, changed, model):
    # given one creating request answered 201
    api = api_for("commander")
    count = model.objects.count()
    first = api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == 201, first.content
    # when it is retried with the same key and body, then with another body
    again = api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    other = api.post(path, changed, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    # then the retry answers the first body, the other body 422, and one document exists
    assert again.status_code == 201 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert model.objects.count() == count + 1


def token_client(username: str) -> APIClient:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    raw = ApiToken.generate()
    ApiToken.objects.create(user=user, prefix=raw[:8], digest=ApiToken.digest_of(raw))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def fire_at_once(client: APIClient, path: str, bodies: list[dict[str, Any]], key: str) -> list[tuple[int, Any]]:
    """Every body in its own thread (own database connection), released together."""
    barrier = threading.Barrier(len(bodies))
    answers: list[tuple[int, Any]] = [(0, None)] * len(bodies)

    def send(i: int) -> None:
        try:
            barrier.wait()
            response = client.post(path, bodies[i], format="json", HTTP_IDEMPOTENCY_KEY=key)
            answers[i] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "body", "model"),
    [
        ("/api/v1/inventory/receipts/", receipt_body(10), Receipt),
        ("/api/v1/distribution/requests/", request_body(30), Request),
    ],
)
def test_concurrent_retries_with_one_key_create_one_document(base, n95, path, body, model):
    # given 8 clients holding the same token, key and body
    client = token_client("commander")
    count = model.objects.count()
    # when they all send at once
    answers = fire_at_once(client, path, [body] * 8, key="concurrent-1")
    # then exactly one document exists; each answer is the same 201 body or 409 in flight
    assert model.objects.count() == count + 1
    created = [a for a in answers if a[0] == 201]
    in_flight = [a for a in answers if a[0] == 409]
    assert created and len(created) + len(in_flight) == 8, answers
    assert all(a[1] == created[0][1] for a in created)
    assert all(a[1]["code"] == "idempotency_in_progress" for a in in_flight)
    assert created[0][1]["id"] == model.objects.latest("pk").pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_and_different_bodies_create_one_document(base, n95):
    # given 6 clients with one key but two different bodies
    client = token_client("commander")
    count = Receipt.objects.count()
    bodies = [receipt_body(10 + i % 2) for i in range(6)]
    # when they all send at once
    answers = fire_at_once(client, "/api/v1/inventory/receipts/", bodies, key="concurrent-2")
    # then one receipt was made; the other body's senders got 422 (or 409 while in flight)
    assert Receipt.objects.count() == count + 1
    receipt = Receipt.objects.latest("pk")
    winner_qty = receipt.lines.get().qty
    for body, (status, payload) in zip(bodies, answers, strict=True):
        same = body["lines"][0]["qty"] == winner_qty
        if status == 201:
            assert same and payload["id"] == receipt.pk
        elif status == 422:
            assert not same and payload["code"] == "idempotency_key_reused"
        else:
            assert status == 409 and payload["code"] == "idempotency_in_progress", (status, payload)
    assert Decimal(receipt.lines.get().unit_cost) == Decimal("2.50")


def test_the_same_json_reformatted_is_a_retry_not_another_body(api_for):
    # given an item created with a key, its JSON written one way
    api = api_for("commander")
    written = '{"code": "IDEM-FMT", "name": "重排物资", "unit": "箱"}'
    first = api.post("/api/v1/catalog/items/", written, content_type="application/json", HTTP_IDEMPOTENCY_KEY="fmt-1")
    assert first.status_code == 201, first.content
    # when a client re-serialises the same object (other key order, no spaces, escaped Chinese)
    again = api.post(
        "/api/v1/catalog/items/",
        '{"unit":"\\u7bb1","name":"\\u91cd\\u6392\\u7269\\u8d44","code":"IDEM-FMT"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="fmt-1",
    )
    # then it is the same request: the first answer again, one item
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Item.objects.filter(code="IDEM-FMT").count() == 1


def test_stored_answers_are_purged_after_the_configured_days_but_job_claims_stay(api_for, settings):
    import time_machine
    from django.utils import timezone

    from baogong.core.models import IdempotencyRecord
    from baogong.core.schedule import CLAIM_SCOPE, daily_jobs, run_job

    settings.BAOGONG_IDEMPOTENCY_DAYS = 7
    api = api_for("commander")
    body = {"code": "IDEM-OLD", "name": "旧物资", "unit": "箱"}
    with time_machine.travel(timezone.now() - dt.timedelta(days=8)):
        assert api.post("/api/v1/catalog/items/", body, format="json", HTTP_IDEMPOTENCY_KEY="old-1").status_code == 201
        IdempotencyRecord.objects.create(scope=CLAIM_SCOPE, key="x:2020-01-01", method="DAILY", path="x", body_hash="")
    assert (
        api.post(
            "/api/v1/catalog/items/", {**body, "code": "IDEM-NEW"}, format="json", HTTP_IDEMPOTENCY_KEY="new-1"
        ).status_code
        == 201
    )

    [job] = [j for j in daily_jobs() if j.name == "core.purge_idempotency_records"]
    run = run_job(job, timezone.localdate())

    assert run.status == "done" and run.result == {"deleted": 1}
    assert set(IdempotencyRecord.objects.exclude(scope=CLAIM_SCOPE).values_list("key", flat=True)) == {"new-1"}
    assert IdempotencyRecord.objects.filter(scope=CLAIM_SCOPE, key="x:2020-01-01").exists()
