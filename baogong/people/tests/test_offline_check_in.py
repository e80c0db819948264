"""The daily check-in from a phone's offline queue: answered in JSON, a replay of the same device
event gets the first answer, a second check-in for the day is refused (never recorded twice)."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model

from baogong.core.audit import SystemActor
from baogong.core.models import AuditEvent
from baogong.orgs.models import Organisation
from baogong.people import actions
from baogong.people.models import HealthCheck

QUEUE = {"HTTP_X_BAOGONG_QUEUE": "1"}


def test_a_queued_check_in_is_recorded_once(client_for):
    user = get_user_model().objects.get(username="driver")
    actions.create_person(
        {"kind": "staff", "name": "王师傅", "organisation": Organisation.objects.get(code="CYGS"), "user": user},
        actor=SystemActor("test"),
    )
    phone = client_for("driver")
    page = phone.get("/people/check-in/")
    assert page.status_code == 200 and page["X-Baogong-Field"] == "1" and "data-offline" in page.content.decode()
    data = {"form": "check", "temperature": "36.6", "symptoms": "", "event_id": "dev1000000001"}
    first = phone.post("/people/check-in/", data, HTTP_IDEMPOTENCY_KEY="dev1000000001", **QUEUE)
    replay = phone.post("/people/check-in/", data, HTTP_IDEMPOTENCY_KEY="dev1000000001", **QUEUE)
    assert first.status_code == replay.status_code == 200
    assert json.loads(first.content)["status"] == "recorded" and first.content == replay.content
    other = phone.post(
        "/people/check-in/", {**data, "event_id": "dev1000000002"}, HTTP_IDEMPOTENCY_KEY="dev1000000002", **QUEUE
    )
    assert other.status_code == 400 and "checked_on" in json.loads(other.content)["details"]
    bad = phone.post(
        "/people/check-in/",
        {**data, "temperature": "hot", "event_id": "dev1000000003"},
        HTTP_IDEMPOTENCY_KEY="dev1000000003",
        **QUEUE,
    )
    assert bad.status_code == 400 and "temperature" in json.loads(bad.content)["details"]
    assert HealthCheck.objects.count() == 1
    assert AuditEvent.objects.filter(verb="record_health_check").count() == 1


def test_a_queued_check_in_without_a_person_record_answers_404_in_json(client_for):
    answer = client_for("auditor").post("/people/check-in/", {"form": "check", "temperature": "36.6"}, **QUEUE)
    assert answer.status_code == 404 and json.loads(answer.content)["code"] == "not_found"
