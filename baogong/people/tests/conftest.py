import datetime as dt
import itertools

import pytest
import time_machine
from django.utils import timezone

from baogong.core.identifiers import ID_CHECK, ID_WEIGHTS
from baogong.orgs.models import Organisation, Site
from baogong.people import actions

_serial = itertools.count(100)


def make_id_number(birth="19850315", area="310113"):
    """A valid GB 11643 number with a fresh sequence."""
    first17 = f"{area}{birth}{next(_serial) % 1000:03d}"
    return first17 + ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def at(day, hour=9, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def health(user):
    return user("health")


@pytest.fixture
def warehouse():
    return Site.objects.get(code="WH-TXQ")


@pytest.fixture
def make_person(health, warehouse):
    def make(name="王建国", **extra):
        data = {
            "kind": "staff",
            "name": name,
            "organisation": Organisation.objects.get(code="CYGS"),
            "home_site": warehouse,
            "id_number": make_id_number(),
            "phone": "13812345678",
        }
        data.update(extra)
        return actions.create_person(data, actor=extra.pop("actor", health))

    return make


@pytest.fixture
def today():
    """Today, with the clock set to 23:30 local time (ticking): the tests record results at fixed
    hours of today, which must not lie in the future whatever the hour the suite runs at."""
    day = timezone.localdate()
    late = dt.datetime.combine(day, dt.time(23, 30), tzinfo=timezone.get_current_timezone())
    if timezone.now() >= late:  # already that late: never move the clock backwards
        yield day
        return
    with time_machine.travel(late):
        yield day
