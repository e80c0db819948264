from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from baogong.command import actions as command_actions
from baogong.command.models import ChecklistTemplate
from baogong.finance import actions as finance_actions
from baogong.orgs import actions as org_actions
from baogong.orgs.models import Organisation, Site

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
FROM = dt.date(2022, 4, 1)
TO = dt.date(2022, 5, 31)


@pytest.fixture(autouse=True)
def _command_centre_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "baogong.reports.tests.urls"


@pytest.fixture
def records(user: Any) -> dict[str, Any]:
    """Two months of command-centre records made through the real actions, plus some outside the period."""
    commander = user("commander")
    bsgx = Organisation.objects.get(code="BSGX")
    missions = {}
    for code, kind, site in [
        ("M-FCL", "field_hospital", "FH-FCL"),
        ("M-MPL", "field_hospital", "FH-MPL"),
        ("M-POSCO", "customer_supply", "CU-POSCO"),
    ]:
        missions[code] = finance_actions.create_mission(
            {
                "code": code,
                "name": code,
                "kind": kind,
                "organisation": bsgx,
                "funder": Organisation.objects.get(code="BSZF-WJW"),
                "budget": Decimal("20000000"),
                "starts_on": FROM,
            },
            recipients=[Site.objects.get(code=site)],
            actor=commander,
        )
    costs = [
        ("M-FCL", "labour", "1200000.50", dt.date(2022, 4, 5), True),
        ("M-FCL", "lodging", "300000.25", dt.date(2022, 5, 30), True),
        ("M-MPL", "transport", "99999.99", dt.date(2022, 4, 20), True),
        ("M-MPL", "other", "5000", dt.date(2022, 4, 21), False),  # pending: not counted
        ("M-MPL", "labour", "7777", dt.date(2022, 6, 2), True),  # after the period
        ("M-POSCO", "transport", "4321", dt.date(2022, 4, 15), True),
    ]
    for code, category, amount, day, approve in costs:
        line = finance_actions.add_cost_line(
            missions[code],
            {"category": category, "amount": Decimal(amount), "incurred_on": day, "invoice_number": "F" + amount},
            actor=commander,
        )
        if approve:
            finance_actions.approve_cost_line(line, actor=commander)
    posts = [
        ("own", "wechat", dt.date(2022, 4, 2), 12000),
        ("own", "website", dt.date(2022, 4, 15), 6000),
        ("own", "video", dt.date(2022, 5, 31), 4100),
        ("own", "wechat", dt.date(2022, 3, 31), 999),  # before the period
        ("coverage", "press", dt.date(2022, 4, 16), 0),
        ("coverage", "video", dt.date(2022, 5, 1), 0),
    ]
    for kind, channel, day, reads in posts:
        command_actions.record_post(
            {
                "organisation": bsgx,
                "kind": kind,
                "channel": channel,
                "published_on": day,
                "title": f"{channel}{day}",
                "reads": reads,
            },
            actor=commander,
        )
    template = ChecklistTemplate.objects.get(code="FSFS-2022")
    venue = Site.objects.get(code="CV-BY")
    for day, failed in [(dt.date(2022, 5, 20), {"capacity"}), (dt.date(2022, 5, 27), set())]:
        command_actions.record_inspection(
            venue,
            template,
            on=day,
            findings=[
                command_actions.FindingInput(
                    item_code=i.code,
                    is_compliant=i.code not in failed,
                    remark="超员" if i.code in failed else "",
                    owner="物业" if i.code in failed else "",
                    deadline=dt.date(2022, 5, 25) if i.code in failed else None,
                )
                for i in template.items.all()
            ],
            actor=commander,
        )
    _hotel_locked_down_in_april(commander)
    return {"missions": missions}


def _hotel_locked_down_in_april(commander: Any) -> None:
    """A hotel locked down on 10 April 2022 and reopened on 20 April; still normal today."""
    hotel = Site.objects.get(code="HT-WYN")
    with time_machine.travel(dt.datetime(2022, 4, 10, 14, 0, tzinfo=SHANGHAI), tick=False):
        org_actions.set_site_status(hotel, "locked_down", reason="阳性病例", actor=commander)
    with time_machine.travel(dt.datetime(2022, 4, 20, 9, 0, tzinfo=SHANGHAI), tick=False):
        org_actions.set_site_status(hotel, "normal", actor=commander)
