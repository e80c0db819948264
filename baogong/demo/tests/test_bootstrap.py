"""First start: bootstrap names the one command that replays the lockdown, until it has run."""

import io
from decimal import Decimal

from django.core.management import call_command

from baogong.catalog import actions as catalog
from baogong.core.audit import SystemActor

COMMAND = ".venv/bin/baogong demo --scenario baoshan-2022 --seed 2022 --days 60"


def test_bootstrap_prints_the_scenario_command_until_the_scenario_has_run(db):
    first = io.StringIO()
    call_command("bootstrap", stdout=first)
    assert COMMAND in first.getvalue()

    # given what the replay leaves behind (its case items)
    catalog.create_item(
        {"code": "SC-N95-CASE", "name": "医用防护口罩(N95)整箱", "unit": "箱", "reference_price": Decimal("5000.00")},
        actor=SystemActor("test"),
    )
    again = io.StringIO()
    call_command("bootstrap", stdout=again)
    assert COMMAND not in again.getvalue()
    assert "demo accounts created: none (already there)" in again.getvalue()


def test_bootstrap_without_demo_data_does_not_suggest_the_scenario(db):
    out = io.StringIO()
    call_command("bootstrap", "--no-demo", stdout=out)
    assert COMMAND not in out.getvalue()
