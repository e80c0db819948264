"""Re-plan (重新调配) racing dispatch and cancel on PostgreSQL, in threads (style of test_races.py):
a cancelled request keeps no reservation and no shipment, the controlled warehouse ships nothing,
every balance's reserved units equal its active reservations and the ledger is exact."""

from __future__ import annotations

from collections import Counter

import pytest

from baogong.core.tests.threads import run_together
from baogong.distribution import actions
from baogong.distribution.choices import RequestStatus, ShipmentStatus
from baogong.distribution.models import AllocationReservation, Shipment, ShipmentLine
from baogong.fleet.tests.registered import registered_transport
from baogong.inventory.choices import ReservationStatus
from baogong.orgs import actions as org_actions
from baogong.orgs.models import Site

from .conftest import SYSTEM
from .test_races import assert_consistent, in_days, stock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


race = run_together


def test_replan_racing_dispatch_and_cancel_stays_consistent(base, file, hospital, elderly_home, street, n95):
    txq, by = Site.objects.get(code="WH-TXQ"), Site.objects.get(code="WH-BY")
    stock(txq, n95, 1000)
    stock(by, n95, 1000)
    seen: Counter[tuple[str, ...]] = Counter()
    transport = registered_transport()
    for round_ in range(5):
        org_actions.set_site_status(txq, "normal", actor=SYSTEM)
        # given: a hospital request shipped from TXQ and loaded, an elderly-home request planned,
        # a street request allocated but not planned (cancellable), and a 北翼 shipment loaded
        loaded_request = actions.approve_request(file(hospital, (n95, 40, in_days(2))), actor=SYSTEM)
        planned_request = actions.approve_request(file(elderly_home, (n95, 30, in_days(2))), actor=SYSTEM)
        ids = [loaded_request.pk, planned_request.pk]
        actions.confirm_allocation(actions.preview_allocation([txq], actor=SYSTEM, request_ids=ids), actor=SYSTEM)
        txq_shipments = actions.plan_shipments(actor=SYSTEM, warehouses=[txq])
        loaded_txq = next(s for s in txq_shipments if s.recipient_id == hospital.pk)
        actions.load_shipment(actions.pick_shipment(loaded_txq, actor=SYSTEM), actor=SYSTEM, **transport)
        by_request = actions.approve_request(file(street, (n95, 20, in_days(2))), actor=SYSTEM)
        run = actions.preview_allocation([by], actor=SYSTEM, request_ids=[by_request.pk])
        actions.confirm_allocation(run, actor=SYSTEM)
        (by_shipment,) = actions.plan_shipments(actor=SYSTEM, warehouses=[by])
        actions.load_shipment(actions.pick_shipment(by_shipment, actor=SYSTEM), actor=SYSTEM, **transport)
        cancellable = actions.approve_request(file(street, (n95, 10 + round_, in_days(2))), actor=SYSTEM)
        run = actions.preview_allocation([txq], actor=SYSTEM, request_ids=[cancellable.pk])
        actions.confirm_allocation(run, actor=SYSTEM)
        org_actions.set_site_status(txq, "under_control", reason="阳性病例管控", actor=SYSTEM)

        def replan() -> None:
            actions.replan_warehouse(txq, actor=SYSTEM)

        def cancel() -> None:
            actions.cancel_request(cancellable, reason="街道已自行解决", actor=SYSTEM)

        def dispatch_from_by() -> None:
            actions.dispatch_shipment(by_shipment, actor=SYSTEM)

        def dispatch_from_txq() -> None:
            actions.dispatch_shipment(loaded_txq, actor=SYSTEM)

        outcome = race(replan, cancel, dispatch_from_by, dispatch_from_txq)
        seen[tuple(outcome)] += 1
        # then: the controlled warehouse shipped nothing and holds no open supply
        assert "dispatch_from_txq refused" in outcome and "dispatch_from_by" in outcome and "replan" in outcome
        assert not Shipment.objects.filter(warehouse=txq, status__in=[ShipmentStatus.IN_TRANSIT]).exists()
        assert not AllocationReservation.objects.filter(
            warehouse=txq, reservation__status=ReservationStatus.ACTIVE
        ).exists()
        cancellable.refresh_from_db()
        has_shipment = ShipmentLine.objects.filter(request_line__request=cancellable).exists()
        if "cancel" in outcome:
            assert cancellable.status == RequestStatus.CANCELLED and not has_shipment
        else:  # re-planned first: its goods are planned from 北翼, so it can no longer be cancelled
            assert cancellable.status != RequestStatus.CANCELLED and has_shipment
        assert_consistent()
    assert set(seen) <= {
        ("cancel", "dispatch_from_by", "dispatch_from_txq refused", "replan"),
        ("cancel refused", "dispatch_from_by", "dispatch_from_txq refused", "replan"),
    }
