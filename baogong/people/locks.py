"""Every row lock of the people app (each set in pk order).

Within a transaction: the people acted on first (pk order), then what hangs off them — their
room, the organisation's last dispatch batch, a stay, a meal log, a guest request; an incident
before its person is closed (``outbreak``). Actions never call ``select_for_update`` themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet

from baogong.orgs.models import Organisation, Site
from baogong.people.models import (
    ClosedLoopStay,
    DispatchBatch,
    GuestRequest,
    HealthRegime,
    Incident,
    LodgingStay,
    MealLog,
    Person,
    Room,
)


def people_for_update(ids: Iterable[int]) -> QuerySet[Person]:
    return Person.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")


def person_for_update(person_id: int) -> Person:
    return Person.objects.select_for_update().get(pk=person_id)


def incident_for_update(incident_id: int) -> Incident:
    return Incident.objects.select_for_update().select_related("person").get(pk=incident_id)


def regime_for_update(pk: int) -> HealthRegime:
    return HealthRegime.objects.select_for_update().get(pk=pk)


def closed_loop_stay_for_update(pk: int) -> ClosedLoopStay:
    return ClosedLoopStay.objects.select_for_update().select_related("site").get(pk=pk)


def last_batch_number_for_update(organisation: Organisation) -> int | None:
    """Lock the organisation's latest dispatch batch (numbers are per organisation); its number."""
    return (
        DispatchBatch.objects.select_for_update()
        .filter(organisation=organisation)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )


def room_for_update(pk: int) -> Room:
    """Lock a room (after the person checked in to it)."""
    return Room.objects.select_for_update().get(pk=pk)


def lodging_stay_for_update(pk: int) -> LodgingStay:
    return LodgingStay.objects.select_for_update().select_related("site").get(pk=pk)


def meal_log_for_update(site: Site, served_on: dt.date, meal: str) -> MealLog | None:
    """Lock the one log of a meal at a site on a day, if there is one."""
    return MealLog.objects.select_for_update().filter(site=site, served_on=served_on, meal=meal).first()


def guest_request_for_update(pk: int) -> GuestRequest:
    return GuestRequest.objects.select_for_update().select_related("site").get(pk=pk)
