"""Dates from query strings and forms: ``2022-13-45`` is no date (a field error), never a 500."""

from __future__ import annotations

import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import dateparse

# Dates a user can mean: the same window on both databases, in the API and the forms. Earlier
# years reach the local mean time of Asia/Shanghai (an offset of +08:05:43, which no RFC 3339
# date-time can carry) and the calendar's edges (year 1 minus a day is an overflow); later ones
# are typing errors.
EARLIEST_DATE = dt.date(1950, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)


def date_range_validators() -> list[MinValueValidator | MaxValueValidator]:
    """Validators of a form's date field: from :data:`EARLIEST_DATE` to :data:`LATEST_DATE`."""
    return [MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)]


def parse_date_or_none(value: str | None) -> dt.date | None:
    """An ISO date (``YYYY-MM-DD``), or None when the text is empty, malformed or not a real day
    (Django's ``parse_date`` raises ``ValueError`` for a well-formed impossible date)."""
    if not value:
        return None
    try:
        return dateparse.parse_date(value.strip())
    except ValueError:
        return None
