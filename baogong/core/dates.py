"""Dates from query strings and forms: ``2022-13-45`` is no date (a field error), never a 500."""

from __future__ import annotations

import datetime as dt

from django.utils import dateparse


def parse_date_or_none(value: str | None) -> dt.date | None:
    """An ISO date (``YYYY-MM-DD``), or None when the text is empty, malformed or not a real day
    (Django's ``parse_date`` raises ``ValueError`` for a well-formed impossible date)."""
    if not value:
        return None
    try:
        return dateparse.parse_date(value.strip())
    except ValueError:
        return None
