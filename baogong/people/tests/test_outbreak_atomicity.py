"""Clearing a person and closing the incidents it finishes is one transaction: the person, the
incident, its sites' status restored (through orgs' in-transaction function) and each site's
``cleared_at`` — all of it, or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from baogong.core.models import AuditEvent
from baogong.orgs import actions as org_actions
from baogong.orgs.models import Site
from baogong.people import actions, outbreak
from baogong.people.models import Incident, IncidentSite

from .conftest import at
from .test_outbreak import make_crew


class Crash(RuntimeError):
    """Stands for anything failing half-way (a bug, a lost connection, a killed worker)."""


def crash(*_args: Any, **_kwargs: Any) -> Any:
    raise Crash("crash while restoring the site")


@pytest.fixture
def finished_but_for_the_contact(make_person, health, warehouse, today):
    """A positive worker cleared; the incident waits only for the close contact."""
    crew = make_crew(make_person, health, warehouse, today)
    actions.record_health_test(
        crew["王建国"], kind="antigen", result="positive", taken_at=at(today, 0, 30), actor=health
    )
    outbreak.clear_person(crew["王建国"], reason="区疾控解除", actor=health)
    incident = Incident.objects.get(person=crew["王建国"])
    assert incident.status == "open" and Site.objects.get(pk=warehouse.pk).status == "under_control"
    return incident, crew["李卫东"]


def closing_events() -> list[str]:
    return sorted(
        AuditEvent.objects.filter(verb__in=["close_incident", "clear_incident_site", "set_site_status"]).values_list(
            "verb", flat=True
        )
    )


def test_a_site_restore_that_fails_leaves_the_incident_open_and_nothing_cleared(
    finished_but_for_the_contact, health, warehouse, monkeypatch
):
    incident, mate = finished_but_for_the_contact
    events = closing_events()  # the set_site_status that put the warehouse under control
    monkeypatch.setattr(org_actions, "change_site_status", crash)
    # when the last contact is cleared and closing the incident fails while restoring the site
    with pytest.raises(Crash):
        outbreak.clear_person(mate, reason="区疾控解除", actor=health)
    # then the contact, the incident, its site row and the site are exactly as before; no event
    mate.refresh_from_db()
    assert mate.health_status == "close_contact"
    assert not AuditEvent.objects.filter(verb="clear_person", object_id=str(mate.pk)).exists()
    incident.refresh_from_db()
    assert (incident.status, incident.closed_at) == ("open", None)
    assert list(IncidentSite.objects.filter(incident=incident).values_list("cleared_at", flat=True)) == [None]
    assert Site.objects.get(pk=warehouse.pk).status == "under_control"
    assert closing_events() == events
    # and clearing again (nothing failing) closes it whole, once
    monkeypatch.undo()
    outbreak.clear_person(mate, reason="区疾控解除", actor=health)
    incident.refresh_from_db()
    assert incident.status == "closed"
    assert IncidentSite.objects.get(incident=incident).cleared_at is not None
    assert Site.objects.get(pk=warehouse.pk).status == "normal"
    assert closing_events() == sorted([*events, "close_incident", "clear_incident_site", "set_site_status"])
    assert outbreak.close_finished_incidents(actor=health) == []


def test_an_incident_not_finished_is_left_open(finished_but_for_the_contact, health):
    incident, _mate = finished_but_for_the_contact
    assert outbreak.close_incident_if_finished(incident.pk, actor=health) is None
    incident.refresh_from_db()
    assert incident.status == "open"
