"""Allocation runs: claims and entitlements, preview, confirm (FEFO reservations), carry-over."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from baogong.core.models import AuditEvent
from baogong.distribution import actions
from baogong.distribution.choices import AllocationRunStatus, RequestStatus
from baogong.distribution.errors import AllocationInvalid, AllocationStale, RequestStateInvalid
from baogong.distribution.models import AllocationReservation, AllocationRun
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.inventory.models import Reservation, StockBalance
from baogong.orgs.models import Site

from .conftest import SYSTEM, in_days


@pytest.fixture
def receive():
    def do(site, item, batch, qty, expiry=None):
        return inventory_actions.receive_stock(
            site,
            [ReceiptLineInput(item=item, batch=batch, qty=qty, unit_cost=Decimal("2.00"), expiry=expiry)],
            actor=SYSTEM,
            qc_status="released",
        )

    return do


@pytest.fixture
def approved(file):
    def do(recipient, *lines):
        request = file(recipient, *lines)
        return actions.approve_request(request, actor=SYSTEM)

    return do


@pytest.fixture
def shortage(approved, receive, txq, wh_yy, hospital, elderly_home, street, n95):
    """400 N95 (TXQ 250 in two lots, YY 150) against 300 (tier 1) + 200 (tier 2) + 100 (tier 3)."""
    receive(txq, n95, "LATE", 150, expiry=dt.date.today() + dt.timedelta(days=400))
    receive(txq, n95, "EARLY", 100, expiry=dt.date.today() + dt.timedelta(days=30))
    receive(wh_yy, n95, "YY1", 150)
    return {
        "hospital": approved(hospital, (n95, 300, in_days(2))),
        "home": approved(elderly_home, (n95, 200, in_days(2))),
        "street": approved(street, (n95, 100, in_days(2))),
    }


def by_recipient(run):
    return {
        a.request_line.request.recipient.code: a for a in run.lines.select_related("request_line__request__recipient")
    }


def test_preview_explains_each_line_and_reserves_nothing(shortage, commander, txq, wh_yy):
    # when
    run = actions.preview_allocation([txq, wh_yy], actor=commander)
    # then
    lines = by_recipient(run)
    hospital, home, street = lines["FH-FCL"], lines["EH-TY"], lines["SO-310113007"]
    assert (hospital.tier, hospital.claim, hospital.qty, hospital.basis) == (1, 300, 300, "full")
    assert (home.tier, home.qty, home.basis, home.available, home.tier_total) == (2, 100, "pro_rata", 100, 200)
    assert (street.tier, street.qty, street.basis) == (3, 0, "after_shortage")
    assert sum(s["qty"] for a in lines.values() for s in a.sources) == 400
    assert run.summary["allocated"] == 400 and run.summary["claimed"] == 600
    assert run.status == AllocationRunStatus.PREVIEW
    assert Reservation.objects.count() == 0
    assert AuditEvent.objects.filter(verb="preview_allocation", object_id=str(run.pk)).count() == 1


def test_confirm_reserves_fefo_and_updates_requests(shortage, commander, txq, wh_yy):
    run = actions.preview_allocation([txq, wh_yy], actor=commander)
    # when
    actions.confirm_allocation(run, actor=commander)
    # then
    run.refresh_from_db()
    assert run.status == AllocationRunStatus.CONFIRMED
    reserved = {b.lot.batch: b.reserved for b in StockBalance.objects.select_related("lot")}
    assert reserved == {"EARLY": 100, "LATE": 150, "YY1": 150}
    assert sum(r.qty for r in AllocationReservation.objects.all()) == 400
    for key, status, allocated in [
        ("hospital", RequestStatus.ALLOCATED, 300),
        ("home", RequestStatus.PARTLY_ALLOCATED, 100),
        ("street", RequestStatus.APPROVED, 0),
    ]:
        request = shortage[key]
        request.refresh_from_db()
        assert (request.status, request.lines.get().allocated_qty) == (status, allocated)
    event = AuditEvent.objects.get(verb="confirm_allocation")
    assert event.after["units"] == 400
    with pytest.raises(RequestStateInvalid):
        actions.confirm_allocation(run, actor=commander)


def test_rerun_after_stock_arrives_serves_the_carry_over(shortage, commander, txq, wh_yy, receive, n95):
    actions.confirm_allocation(actions.preview_allocation([txq, wh_yy], actor=commander), actor=commander)
    # given 150 more arrive
    receive(txq, n95, "NEW", 150)
    # when
    run = actions.preview_allocation([txq, wh_yy], actor=commander)
    # then the home's unmet 100 come first (tier 2), then 50 for the street
    lines = by_recipient(run)
    assert {code: (a.claim, a.qty) for code, a in lines.items()} == {"EH-TY": (100, 100), "SO-310113007": (100, 50)}
    actions.confirm_allocation(run, actor=commander)
    shortage["home"].refresh_from_db()
    assert shortage["home"].status == RequestStatus.ALLOCATED


def test_confirm_of_a_stale_preview_writes_nothing(shortage, commander, txq, wh_yy):
    first = actions.preview_allocation([txq, wh_yy], actor=commander)
    second = actions.preview_allocation([txq, wh_yy], actor=commander)
    actions.confirm_allocation(second, actor=commander)
    before = list(StockBalance.objects.order_by("pk").values_list("reserved", flat=True))
    with pytest.raises(AllocationStale):
        actions.confirm_allocation(first, actor=commander)
    first.refresh_from_db()
    assert first.status == AllocationRunStatus.PREVIEW
    assert list(StockBalance.objects.order_by("pk").values_list("reserved", flat=True)) == before
    assert AllocationReservation.objects.filter(line__run=first).count() == 0


def test_confirm_when_stock_was_taken_meanwhile_is_stale(shortage, commander, txq, wh_yy, n95):
    run = actions.preview_allocation([txq, wh_yy], actor=commander)
    inventory_actions.reserve_stock(wh_yy, n95, 100, actor=SYSTEM, reference="other")
    with pytest.raises(AllocationStale) as exc:
        actions.confirm_allocation(run, actor=commander)
    assert "stock" in exc.value.details
    assert Reservation.objects.count() == 1  # only the other one


def test_entitlement_caps_an_inflated_claim(shortage, commander, txq, wh_yy, elderly_home, n95):
    # given the home serves 5,000 people and the norm is 0.01 box per person -> 50 boxes
    Site.objects.filter(pk=elderly_home.pk).update(headcount=5000)
    actions.set_norm(n95, Decimal("0.01"), actor=SYSTEM)
    # when
    run = actions.preview_allocation([txq, wh_yy], actor=commander)
    # then
    home = by_recipient(run)["EH-TY"]
    assert (home.outstanding, home.entitlement, home.claim, home.qty) == (200, 50, 50, 50)


def test_cancel_after_confirm_releases_the_reservations(shortage, commander, txq, wh_yy):
    actions.confirm_allocation(actions.preview_allocation([txq, wh_yy], actor=commander), actor=commander)
    actions.cancel_request(shortage["hospital"], reason="hospital closed", actor=commander)
    assert sum(StockBalance.objects.values_list("reserved", flat=True)) == 100
    event = AuditEvent.objects.get(verb="cancel_request")
    assert event.after["released_units"] == 300


def test_discard_preview(shortage, commander, txq):
    run = actions.discard_allocation(actions.preview_allocation([txq], actor=commander), actor=commander)
    assert run.status == AllocationRunStatus.DISCARDED
    with pytest.raises(RequestStateInvalid):
        actions.confirm_allocation(run, actor=commander)


def test_preview_needs_warehouses_the_user_may_use(shortage, user, txq, wh_yy, hospital):
    with pytest.raises(AllocationInvalid):
        actions.preview_allocation([], actor=user("commander"))
    with pytest.raises(AllocationInvalid):
        actions.preview_allocation([hospital], actor=user("commander"))
    with pytest.raises(AllocationInvalid):
        actions.preview_allocation([wh_yy], actor=user("warehouse"))  # keeper of TXQ only
    assert AllocationRun.objects.count() == 0


def test_confirm_states_count_every_line_of_a_request(approved, receive, commander, txq, hospital, n95, rice):
    # given a request of 30 N95 and 10 rice (none anywhere); 20 N95 arrive and are allocated
    mixed = approved(hospital, (n95, 30, in_days(2)), (rice, 10, in_days(2)))
    receive(txq, n95, "B1", 20)
    actions.confirm_allocation(actions.preview_allocation([txq], actor=commander), actor=commander)
    mixed.refresh_from_db()
    assert mixed.status == RequestStatus.PARTLY_ALLOCATED
    stamp = mixed.updated_at
    # when the rest of the N95 arrives and is allocated
    receive(txq, n95, "B2", 10)
    actions.confirm_allocation(actions.preview_allocation([txq], actor=commander), actor=commander)
    # then the N95 line is full, but the open rice line keeps the request partly allocated
    # (its state did not change, so neither did its time stamp)
    mixed.refresh_from_db()
    assert {li.item.code: li.allocated_qty for li in mixed.lines.select_related("item")} == {"N95": 30, "RICE": 0}
    assert (mixed.status, mixed.updated_at) == (RequestStatus.PARTLY_ALLOCATED, stamp)


def test_confirm_queries_do_not_grow_with_the_lines(approved, receive, commander, txq, n95, rice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    recipients = list(Site.objects.exclude(kind="warehouse").exclude(lat=None).order_by("code")[:12])
    receive(txq, n95, "N1", 1000, expiry=in_days(60))
    receive(txq, n95, "N2", 1000, expiry=in_days(90))
    receive(txq, rice, "R1", 1000)

    def confirm_queries(n):
        for i in range(n):
            approved(recipients[i % len(recipients)], (n95 if i % 2 else rice, 3, in_days(1 + i % 3)))
        run = actions.preview_allocation([txq], actor=commander)
        with CaptureQueriesContext(connection) as queries:
            actions.confirm_allocation(run, actor=commander)
        assert run.lines.filter(qty__gt=0).count() == n
        return len(queries.captured_queries)

    # when runs of 4 and of 12 lines are confirmed / then they take the same number of queries
    assert confirm_queries(4) == confirm_queries(12)
    assert sum(b.reserved for b in StockBalance.objects.all()) == 16 * 3
