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


@pytest.fixture
def mission(commander: Any) -> Mission:
    return actions.create_mission(
        {
            "code": "M-FCL",
            "name": "富长路方舱运行保障",
            "kind": "field_hospital",
            "organisation": Organisation.objects.get(code="BSGX"),
            "funder": Organisation.objects.get(code="BSZF-WJW"),
            "budget": Decimal("1000000.00"),
            "starts_on": dt.date(2022, 4, 1),
            "ends_on": dt.date(2022, 5, 31),
        },
        recipients=[Site.objects.get(code="FH-FCL")],
        actor=commander,
    )


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
