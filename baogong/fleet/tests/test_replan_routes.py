"""A distribution re-plan (重新调配) takes the withdrawn shipments off the route plans and re-runs
today's plans of the touched warehouses with the new shipments."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from baogong.catalog.models import Item
from baogong.core.models import AuditEvent
from baogong.distribution import actions as distribution_actions
from baogong.distribution.models import Shipment
from baogong.fleet import actions
from baogong.fleet.models import RouteStop
from baogong.fleet.shipments import open_shipments, shipment_stop
from baogong.fleet.tasks import run_plan
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs import actions as org_actions
from baogong.orgs.models import Site

from .test_shipment_plans import shipments  # noqa: F401  (fixture)


@pytest.fixture
def held_clock():
    """The clock stands still for the test, wherever the run put it: with the clock moved to 23:59
    the plan would otherwise be made on one day and the re-plan run on the next."""
    with time_machine.travel(timezone.now(), tick=False):
        yield


@pytest.mark.parametrize(
    "days_ago", [0, 1, 2], ids=["today's plan", "last night's plan after midnight", "a stale plan is left"]
)
def test_replan_moves_stops_to_the_new_warehouse_and_reruns_the_plan(
    shipments,  # noqa: F811
    cygs,
    make_vehicle,
    user,
    system,
    django_capture_on_commit_callbacks,
    days_ago,
    held_clock,
):
    txq, by = Site.objects.get(code="WH-TXQ"), Site.objects.get(code="WH-BY")
    rice = Item.objects.get(code="RICE")
    inventory_actions.receive_stock(
        by,
        [ReceiptLineInput(item=rice, batch="BY1", qty=200, unit_cost=Decimal("60"))],
        actor=system,
        qc_status="released",
    )
    trucks = [make_vehicle("沪A10001", capacity_kg=5000), make_vehicle("沪A10002", capacity_kg=5000, home_depot=by)]
    stops = [shipment_stop(s) for s in open_shipments([txq.pk])]
    plan = actions.create_plan(
        cygs,
        timezone.localdate() - dt.timedelta(days=days_ago),
        trucks,
        stops,
        options={"time_limit_s": 1},
        actor=user("dispatcher"),
    )
    run_plan(plan)
    commander = user("commander")
    org_actions.set_site_status(txq, "under_control", reason="阳性病例管控", actor=commander)
    shown = distribution_actions.preview_replan(txq, actor=commander)
    with django_capture_on_commit_callbacks(execute=True):
        distribution_actions.replan_warehouse(txq, actor=commander, expected=shown.fingerprint)
    # the TXQ shipments left the plan; the plan now carries the new 北翼 shipments and is re-solved
    assert not Shipment.objects.filter(warehouse=txq).exists()
    carried = set(RouteStop.objects.filter(plan=plan).values_list("shipment__warehouse__code", "site__code"))
    assert AuditEvent.objects.filter(verb="withdraw_stops", object_id=str(plan.pk)).count() == 1
    if days_ago == 2:  # older than last night: only the withdrawn stops leave it
        assert carried == set()
        assert not AuditEvent.objects.filter(verb="add_stops", object_id=str(plan.pk)).exists()
        return
    assert carried == {("WH-BY", "FH-FCL"), ("WH-BY", "EH-TY"), ("WH-BY", "HT-WYN")}
    plan.refresh_from_db()
    assert plan.status in ("planning", "planned")
    assert AuditEvent.objects.filter(verb="add_stops", object_id=str(plan.pk)).count() == 1
