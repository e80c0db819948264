"""Drills: the events change the result, never the data; the same seed gives the same answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from baogong.command import drills
from baogong.command.errors import DrillInvalid
from baogong.core.audit import SystemActor
from baogong.core.models import AuditEvent
from baogong.inventory.queries import ledger_differences
from baogong.orgs.models import Site

ACTOR = SystemActor("drill-test")


def events(start: dt.date, **extra: Any) -> drills.DrillEvents:
    return drills.parse_events({"from": start, "days": 3, "seed": 1, **extra})


def test_lockdown_resources_from_the_other_warehouse_and_changes_nothing(network):
    # given two stocked warehouses and three requests due in the window
    audit_before = AuditEvent.objects.count()
    # when 泰兴桥 is locked down for the window
    result = drills.run(events(network["start"], lockdown="WH-TXQ"), actor=ACTOR)
    # then the baseline serves tiers 1 and 2 in full and the street office 60 of 100
    base, drill = result["baseline"], result["drill"]
    assert base["fill_rate_by_tier"] == {"1": 1.0, "2": 1.0, "3": 0.6}
    assert base["unmet_units"] == 40
    assert base["warehouses"] == ["WH-BY", "WH-TXQ", "WH-YY"]
    # and the drill has only 医药公司's 100: the hospital in full, the elderly home 40 of 80, the street none
    assert drill["warehouses"] == ["WH-BY", "WH-YY"]
    assert drill["fill_rate_by_tier"] == {"1": 1.0, "2": 0.5, "3": 0.0}
    assert drill["unmet_units"] == 140
    assert drill["unmet"][0] == {
        "item": "N95",
        "item_name": "医用防护口罩",
        "recipient": "SO-310113007",
        "recipient_name": Site.objects.get(code="SO-310113007").name,
        "qty": 100,
    }
    # and the hospital, supplied from 泰兴桥 next door in the baseline, is supplied from 医药公司
    assert {"item": "N95", "recipient": "FH-FCL", "from": "WH-TXQ", "to": "WH-YY", "qty": 60} in result["moved"]
    assert all(m["from"] == "WH-TXQ" and m["to"] == "WH-YY" for m in result["moved"])
    # and the routes: km and vehicles on both sides, more km for the drill's longer drive
    assert base["km"] > 0 and base["vehicle_days"] >= 2
    assert result["extra"]["km"] == round(drill["km"] - base["km"], 1)
    # and days of cover of the key item after the window (no stock left in either case)
    assert base["days_of_cover"] == {"N95": 0.0} and drill["days_of_cover"] == {"N95": 0.0}
    # and nothing changed: the warehouse is normal, no audit event, the ledger exact
    assert Site.objects.get(code="WH-TXQ").status == "normal"
    assert AuditEvent.objects.count() == audit_before
    assert ledger_differences() == []


def test_same_seed_same_answer(network):
    given = events(network["start"], lockdown="WH-TXQ", fleet_cut_pct=50)
    assert drills.run(given, actor=ACTOR) == drills.run(given, actor=ACTOR)


def test_fleet_cut_takes_vehicles_out_of_the_drill_only(network):
    result = drills.run(events(network["start"], fleet_cut_pct=100), actor=ACTOR)
    assert result["baseline"]["vehicles_out"] == []
    assert result["drill"]["vehicles_out"] == ["沪A10001", "沪A10002"]
    # allocation is unchanged, but no drop can be made
    assert result["drill"]["unmet_units"] == result["baseline"]["unmet_units"] == 40
    assert result["drill"]["km"] == 0 and result["drill"]["unrouted_stops"] >= 3
    assert result["moved"] == []


def test_blacklisted_supplier_lots_are_recalled(network):
    result = drills.run(events(network["start"], blacklist="坏供应商"), actor=ACTOR)
    # 泰兴桥's only lot came from the blacklisted supplier: its 100 units are gone
    assert result["drill"]["unmet_units"] == 140
    assert result["drill"]["warehouses"] == ["WH-BY", "WH-TXQ", "WH-YY"]


def test_demand_surge_in_an_area(network):
    area = Site.objects.get(code="EH-TY").area.code
    result = drills.run(events(network["start"], surge_area=area, surge_pct=50), actor=ACTOR)
    # the elderly home asks 120 instead of 80: the street office gets 20 instead of 60
    assert result["drill"]["demanded_by_tier"]["2"] == 120
    assert result["drill"]["fill_rate_by_tier"] == {"1": 1.0, "2": 1.0, "3": 0.2}


def test_road_closures_lengthen_the_routes(network):
    result = drills.run(events(network["start"], road_closure_pct=50), actor=ACTOR)
    assert result["drill"]["km"] == pytest.approx(result["baseline"]["km"] * 1.5, rel=0.01)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"from": "2022-13-01", "days": 3, "lockdown": "WH-TXQ"}, "from"),
        ({"from": "2022-04-01", "days": 0, "lockdown": "WH-TXQ"}, "days"),
        ({"from": "2022-04-01", "days": 61, "lockdown": "WH-TXQ"}, "days"),
        ({"from": "2022-04-01", "days": 3, "lockdown": "FH-FCL"}, "lockdown"),
        ({"from": "2022-04-01", "days": 3, "blacklist": "无此供应商"}, "blacklist"),
        ({"from": "2022-04-01", "days": 3, "fleet_cut_pct": "101"}, "fleet_cut_pct"),
        ({"from": "2022-04-01", "days": 3, "surge_pct": 20}, "surge_area"),
        ({"from": "2022-04-01", "days": 3, "surge_area": "999", "surge_pct": 20}, "surge_area"),
        ({"from": "2022-04-01", "days": 3}, "__all__"),
    ],
)
def test_bad_parameters_are_field_errors(base, data, field):
    with pytest.raises(DrillInvalid) as caught:
        drills.parse_events(data)
    assert field in caught.value.details


def test_a_window_to_come_counts_only_what_is_not_allocated_yet(network, user):
    # given an allocation from 泰兴桥 alone, confirmed: its 100 reserved for the hospital (60) and
    # the elderly home (40 of 80)
    from baogong.distribution import actions as distribution_actions

    run = distribution_actions.preview_allocation([network["txq"]], actor=ACTOR)
    distribution_actions.confirm_allocation(run, actor=ACTOR)
    # when a drill looks at the coming days
    result = drills.run(events(network["start"], lockdown="WH-YY"), actor=ACTOR)
    # then only what is not allocated is claimed (the elderly home's 40, the street's 100), from
    # 医药公司's 100 (泰兴桥 has nothing unreserved): the street gets 60
    assert result["baseline"]["demanded_by_tier"] == {"2": 40, "3": 100}
    assert result["baseline"]["fill_rate_by_tier"] == {"2": 1.0, "3": 0.6}
    # and with 医药公司 locked down nothing is left
    assert result["drill"]["fill_rate_by_tier"] == {"2": 0.0, "3": 0.0}
