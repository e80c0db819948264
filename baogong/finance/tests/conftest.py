from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from baogong.finance import actions
from baogong.finance.models import Mission
from baogong.orgs.models import Grant, Organisation, Site


def mission_data(code: str, *, organisation: str = "BSGX", funder: str = "BSZF", **extra: Any) -> dict[str, Any]:
    """What ``create_mission`` takes: a mission from 1 April 2022 of ``organisation`` paid by ``funder``."""
    return {
        "code": code,
        "name": code,
        "kind": "other",
        "organisation": Organisation.objects.get(code=organisation),
        "funder": Organisation.objects.get(code=funder),
        "budget": Decimal("1"),
        "starts_on": dt.date(2022, 4, 1),
        **extra,
    }


@pytest.fixture
def mission(commander: Any) -> Mission:
    data = mission_data(
        "M-FCL",
        funder="BSZF-WJW",
        name="富长路方舱运行保障",
        kind="field_hospital",
        budget=Decimal("1000000.00"),
        ends_on=dt.date(2022, 5, 31),
    )
    return actions.create_mission(data, recipients=[Site.objects.get(code="FH-FCL")], actor=commander)


@pytest.fixture
def narrow_commander(base: None) -> Any:
    """A command-centre user granted only the pharmaceutical company."""
    person = get_user_model().objects.create_user(username="cc-yygs", password="x")  # noqa: S106
    person.groups.add(Group.objects.get(name="command_centre"))
    Grant.objects.create(user=person, organisation=Organisation.objects.get(code="YYGS"))
    return person


def add_cost(mission: Mission, actor: Any, amount: str, category: str = "transport", day: int = 2, **extra: Any) -> Any:
    data = {
        "category": category,
        "amount": Decimal(amount),
        "incurred_on": dt.date(2022, 4, day),
        "invoice_number": extra.pop("invoice_number", f"INV-{amount}"),
        "supplier": "储运公司",
        **extra,
    }
    return actions.add_cost_line(mission, data, actor=actor)


@pytest.fixture(autouse=True)
def _command_centre_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "baogong.reports.tests.urls"
