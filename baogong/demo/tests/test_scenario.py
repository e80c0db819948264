"""The scenario drives the real actions: a short replay leaves a consistent ledger, an audit
trail, delivered stock at the recipients and relief applications through the review chain."""

import datetime as dt

import pytest
from django.db.models import Q, Sum
from django.utils.timezone import localtime

from baogong.command.models import Inspection
from baogong.core.models import AuditEvent
from baogong.demo.scenario import FARM_ITEMS, INDUSTRIAL_ITEM, START, Scenario
from baogong.demo.steps import giving
from baogong.distribution.models import Request, Shipment, ShipmentLine
from baogong.fleet.models import FuelQueueTicket, FuelSale
from baogong.inventory.models import StockMove
from baogong.inventory.queries import ledger_differences
from baogong.property.models import ReliefApplication


@pytest.mark.slow
def test_a_three_day_replay_keeps_the_ledger_and_records_everything(db):
    progress = []
    outcome = Scenario(seed=7, days=3, progress=lambda pct, msg: progress.append(pct)).run()

    assert ledger_differences() == []
    assert progress[0] == 0 and progress[-1] == 100
    assert outcome.days == 3
    assert outcome.requests == Request.objects.count() > 0
    assert Shipment.objects.filter(status="closed").count() == outcome.shipments > 0
    others = [row[0] for row in [*FARM_ITEMS, INDUSTRIAL_ITEM]] + [*giving.GIFTS, giving.HUASEN_ITEM[0]]
    shipped = Q(item__code__startswith="SC-") | Q(item__code__in=others)
    to_recipients = StockMove.objects.filter(shipped, to_location__kind="recipient")
    assert to_recipients.aggregate(n=Sum("qty"))["n"] == outcome.delivered_units
    moves = StockMove.objects.filter(at__date__gte="2022-03-30", at__date__lte="2022-04-04")
    assert moves.count() == StockMove.objects.count()  # all in simulated time
    approved = ReliefApplication.objects.filter(status="approved").count()
    assert approved == outcome.relief_approved > 0
    assert AuditEvent.objects.filter(verb="record_delivery").count() == outcome.shipments


@pytest.mark.slow
def test_a_short_replay_sells_fuel_green_channel_first_inspects_venues_and_ships_farm_and_industrial_goods(db):
    from django.contrib.auth import get_user_model

    from baogong.reports.figures import Period, collect

    outcome = Scenario(seed=11, days=3).run()

    assert ledger_differences() == []
    # fuel: every sale is a ledger issue; supply trucks with a pass go first through the green channel
    sales = FuelSale.objects.all()
    assert sales.count() == outcome.fuel_sales > 0
    assert sales.aggregate(n=Sum("litres"))["n"] == outcome.fuel_litres
    green = sales.filter(green_channel=True)
    assert green.aggregate(n=Sum("litres"))["n"] == outcome.green_channel_litres > 0
    assert sales.filter(green_channel=False).exists()
    assert set(sales.values_list("slot", flat=True)) == {"00-08", "08-16", "16-24"}
    assert not FuelQueueTicket.objects.filter(served_at__isnull=True).exists()
    batches: dict[tuple[int, str], list[FuelQueueTicket]] = {}
    for ticket in FuelQueueTicket.objects.order_by("pk"):
        batches.setdefault((ticket.station_id, f"{localtime(ticket.arrived_at):%Y%m%d%H}"), []).append(ticket)
    mixed = [b for b in batches.values() if {t.green_channel for t in b} == {True, False}]
    assert mixed
    for batch in mixed:
        # the private car arrived first but was served after every supply truck of its shift
        cars = [t for t in batch if not t.green_channel]
        trucks = [t for t in batch if t.green_channel]
        assert max(t.served_at for t in trucks) < min(c.served_at for c in cars)
        assert min(c.arrived_at for c in cars) < min(t.arrived_at for t in trucks)
    # reopening inspections by property staff
    assert Inspection.objects.filter(follows__isnull=True).count() == outcome.inspections > 0
    assert AuditEvent.objects.filter(verb="record_inspection").count() == outcome.inspections
    # farm inputs to the cooperative and ferrochrome to POSCO went through requests and shipments
    delivered = ShipmentLine.objects.filter(shipment__status="closed")
    assert delivered.filter(shipment__recipient__code="FC-NZ", item__category__code="AGRI").exists()
    assert delivered.filter(shipment__recipient__code="CU-POSCO", item__code="IND-FECR").exists()
    assert outcome.farm_input_units > 0 and outcome.industrial_tonnes == 60
    # the work summary's fuel and inspection figures are no longer zero
    commander = get_user_model().objects.get(username="commander")
    figures = {f.key: f.value for f in collect(commander, Period(START, START + dt.timedelta(days=2)))}
    assert figures["fuel_served"] == outcome.green_channel_litres
    assert figures["venue_inspections"] == outcome.inspections


@pytest.mark.slow
def test_the_replay_sets_up_a_fresh_database_and_ends_with_a_readable_summary(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        BAOGONG_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="baogong.settings",
    )
    done = subprocess.run(  # noqa: S603 - our own command
        [str(Path(sys.executable).with_name("baogong")), "demo", "--seed", "3", "--days", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "正在迁移" in done.stderr and "100%" in done.stderr
    assert "回放完成 / replay finished" in done.stdout and "需求申请 / requests:" in done.stdout
    assert "{'" not in done.stdout and '{"' not in done.stdout  # no raw dict or JSON
