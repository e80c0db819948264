"""The scenario drives the real actions: a short replay leaves a consistent ledger, an audit
trail, delivered stock at the recipients and relief applications through the review chain."""

import pytest
from django.db.models import Sum

from baogong.core.models import AuditEvent
from baogong.demo.scenario import Scenario
from baogong.distribution.models import Request, Shipment
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
    to_recipients = StockMove.objects.filter(to_location__kind="recipient", item__code__startswith="SC-")
    assert to_recipients.aggregate(n=Sum("qty"))["n"] == outcome.delivered_units
    moves = StockMove.objects.filter(at__date__gte="2022-03-30", at__date__lte="2022-04-04")
    assert moves.count() == StockMove.objects.count()  # all in simulated time
    approved = ReliefApplication.objects.filter(status="approved").count()
    assert approved == outcome.relief_approved > 0
    assert AuditEvent.objects.filter(verb="record_delivery").count() == outcome.shipments
