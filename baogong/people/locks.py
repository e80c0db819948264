"""Ordered row locks (pk order) for the people app."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from baogong.people.models import Incident, Person


def people_for_update(ids: Iterable[int]) -> QuerySet[Person]:
    return Person.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")


def person_for_update(person_id: int) -> Person:
    return Person.objects.select_for_update().get(pk=person_id)


def incident_for_update(incident_id: int) -> Incident:
    return Incident.objects.select_for_update().select_related("person").get(pk=incident_id)
