"""A well-formed but impossible date (2022-13-45) is a field error, never a 500."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_clearance_on_an_impossible_date_is_a_field_error(make_person, api_for):
    person = make_person()
    api = api_for("commander")

    impossible = api.get(f"/api/v1/people/persons/{person.pk}/clearance/?date=2022-13-45")
    fine = api.get(f"/api/v1/people/persons/{person.pk}/clearance/?date=2022-04-10")

    assert impossible.status_code == 400 and "date" in impossible.json()["details"]
    assert fine.status_code == 200 and fine.json()["date"] == "2022-04-10"
