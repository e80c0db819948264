"""Audit events are append-only in the database itself: UPDATE and DELETE are refused on SQLite
and PostgreSQL (the suite runs on both), except the SET NULL of a deleted user or content type."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from baogong.core import audit
from baogong.core.audit import SystemActor
from baogong.core.models import AuditEvent, Job


@pytest.fixture
def event(base: None) -> AuditEvent:
    job = Job.objects.create(kind="test", title="audit me")
    return audit.record("create_job", job, actor=SystemActor("tests"), after={"title": "audit me"})


def values(pk: int) -> tuple[Any, ...]:
    return tuple(
        AuditEvent.objects.filter(pk=pk).values_list("verb", "after", "object_repr", "at", "actor_label").get()
    )


@pytest.mark.parametrize(
    "change",
    [
        {"verb": "forged"},
        {"after": {"title": "forged"}},
        {"object_repr": "forged"},
        {"actor_label": "someone else"},
        {"organisation_id": 1},
    ],
)
def test_the_database_refuses_to_change_an_audit_event(event: AuditEvent, change: dict[str, Any]) -> None:
    # given an event as it was written
    written = values(event.pk)
    # when anything about it is changed bypassing the model
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(**change)
    # then it is refused and nothing changed
    assert values(event.pk) == written


def test_the_database_refuses_to_point_an_event_at_another_actor(event: AuditEvent, user: Any) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor=user("commander"))
    assert AuditEvent.objects.get(pk=event.pk).actor_id is None


def test_the_database_refuses_to_delete_an_audit_event(event: AuditEvent) -> None:
    count = AuditEvent.objects.count()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent")
    assert AuditEvent.objects.count() == count


def test_the_model_refuses_too(event: AuditEvent) -> None:
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_deleting_a_user_keeps_their_events_with_their_name(base: None) -> None:
    # given a user who did something
    person = get_user_model().objects.create_user("temp-clerk", first_name="临时")
    job = Job.objects.create(kind="test", title="by a clerk")
    recorded = audit.record("create_job", job, actor=person)
    label = recorded.actor_label
    # when the user is deleted (on_delete=SET_NULL on the event's actor)
    person.delete()
    # then the event remains, unchanged but for the link to the user
    kept = AuditEvent.objects.get(pk=recorded.pk)
    assert kept.actor_id is None
    assert kept.actor_label == label and label
    assert kept.verb == "create_job"


@pytest.mark.django_db(transaction=True)
def test_the_suite_still_empties_the_table_after_a_transactional_test(base: None) -> None:
    """The flush after this test (TRUNCATE on PostgreSQL; DELETE on SQLite with the triggers
    dropped around it by the root conftest.py) must succeed; the next test starts clean."""
    job = Job.objects.create(kind="test", title="flushed")
    audit.record("create_job", job, actor=SystemActor("tests"))
    assert AuditEvent.objects.filter(verb="create_job").exists()


def test_after_the_flush_the_triggers_are_back(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
