from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from baogong.command import actions
from baogong.command.models import ChecklistTemplate
from baogong.orgs.models import Site


@pytest.fixture
def venue(base: None) -> Site:
    return Site.objects.get(code="CV-BY")


@pytest.fixture
def template(db: Any) -> ChecklistTemplate:
    return ChecklistTemplate.objects.get(code="FSFS-2022")


def all_ok(template: ChecklistTemplate, **failed: str) -> list[actions.FindingInput]:
    """Every point compliant except those named (code=remark), which get an owner and a deadline."""
    return [
        actions.FindingInput(
            item_code=item.code,
            is_compliant=item.code not in failed,
            remark=failed.get(item.code, ""),
            owner="商场物业 王经理" if item.code in failed else "",
            deadline=dt.date(2022, 6, 30) if item.code in failed else None,
        )
        for item in template.items.all()
    ]


@pytest.fixture(autouse=True)
def _command_centre_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "baogong.reports.tests.urls"


# --------------------------------------------------------------------------- drills


@pytest.fixture
def network(base: None) -> dict[str, Any]:
    from baogong.command.tests.drill_network import build_network

    return build_network()
