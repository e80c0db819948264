"""Races on PostgreSQL, through the HTTP API as clients meet them: cancel, plan, confirm, issue and
receipt at once. Each action locks in the one order (docs/decisions/0003-lock-order.md) and checks
state after its locks; a lock conflict the database still detects is retried at the action
boundary. So no client sees a 500, a cancelled request never has a live shipment or reservation,
and the ledger is exact."""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from baogong.core.tests import threads
from baogong.distribution import actions
from baogong.distribution.choices import RequestStatus
from baogong.distribution.errors import AllocationStale, RequestStateInvalid
from baogong.distribution.models import AllocationReservation, Request, ShipmentLine
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.inventory.choices import ReservationStatus
from baogong.inventory.models import Reservation, StockBalance
from baogong.inventory.queries import ledger_differences
from baogong.orgs.models import Site

from .conftest import SYSTEM

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SECONDS = float(os.environ.get("BAOGONG_RACE_SECONDS") or 12)  # 60 for the one-minute run


def in_days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def stock(txq: Site, item: Any, qty: int) -> None:
    inventory_actions.receive_stock(
        txq,
        [ReceiptLineInput(item=item, batch="B1", qty=qty, unit_cost=Decimal("1"), expiry=in_days(300))],
        actor=SYSTEM,
        qc_status="released",
    )


def allocated_request(file: Any, recipient: Site, item: Any, qty: int, txq: Site) -> Request:
    request = actions.approve_request(file(recipient, (item, qty, in_days(2))), actor=SYSTEM)
    actions.confirm_allocation(actions.preview_allocation([txq], actor=SYSTEM, request_ids=[request.pk]), actor=SYSTEM)
    request.refresh_from_db()
    return request


def assert_consistent() -> None:
    """A cancelled request has no live shipment line and no active reservation; every balance's
    reserved units are its active reservations; every balance equals its moves."""
    cancelled = Request.objects.filter(status=RequestStatus.CANCELLED)
    live = ShipmentLine.objects.filter(request_line__request__in=cancelled)  # shipments are never cancelled
    assert list(live.values_list("shipment__number", "request_line__request__number")) == []
    active = AllocationReservation.objects.filter(
        line__request_line__request__in=cancelled, reservation__status=ReservationStatus.ACTIVE
    )
    assert not active.exists()
    for balance in StockBalance.objects.filter(reserved__gt=0):
        open_units = sum(
            Reservation.objects.filter(balance=balance, status=ReservationStatus.ACTIVE).values_list("qty", flat=True)
        )
        assert balance.reserved == open_units, balance.pk
    assert ledger_differences() == []


def run_together(*calls: Any) -> list[str]:
    return threads.run_together(*calls, refused=RequestStateInvalid)


def test_a_request_cancelled_while_shipments_are_planned_is_never_shipped(base, file, hospital, n95):
    txq = Site.objects.get(code="WH-TXQ")
    stock(txq, n95, 400)
    seen = Counter()
    for _ in range(7):  # the review saw 5 bad endings in 7 tries
        request = allocated_request(file, hospital, n95, 20, txq)

        def cancel(request: Request = request) -> None:
            actions.cancel_request(request, reason="医院已自行解决", actor=SYSTEM)

        def plan() -> None:
            actions.plan_shipments(actor=SYSTEM, warehouses=[txq])

        seen[tuple(run_together(cancel, plan))] += 1
        assert_consistent()
        request.refresh_from_db()
        shipped = ShipmentLine.objects.filter(request_line__request=request).exists()
        assert (request.status == RequestStatus.CANCELLED) != shipped
    assert set(seen) <= {("cancel", "plan"), ("cancel refused", "plan")}


def test_a_request_cancelled_while_its_allocation_is_confirmed_keeps_no_reservation(base, file, hospital, n95):
    txq = Site.objects.get(code="WH-TXQ")
    stock(txq, n95, 400)
    for _ in range(5):
        request = actions.approve_request(file(hospital, (n95, 20, in_days(2))), actor=SYSTEM)
        run = actions.preview_allocation([txq], actor=SYSTEM, request_ids=[request.pk])

        def cancel(request: Request = request) -> None:
            actions.cancel_request(request, reason="取消", actor=SYSTEM)

        def confirm(run: Any = run) -> None:
            try:
                actions.confirm_allocation(run, actor=SYSTEM)
            except AllocationStale:
                pass

        run_together(cancel, confirm)
        assert_consistent()


def test_approve_and_cancel_at_once_end_in_one_state(base, file, hospital, n95):
    for _ in range(5):
        request = file(hospital, (n95, 10, in_days(2)))

        def approve(request: Request = request) -> None:
            actions.approve_request(request, actor=SYSTEM)

        def cancel(request: Request = request) -> None:
            actions.cancel_request(request, reason="取消", actor=SYSTEM)

        outcomes = run_together(approve, cancel)
        request.refresh_from_db()
        assert request.status in {RequestStatus.APPROVED, RequestStatus.CANCELLED}
        assert "approve" in outcomes or "cancel" in outcomes
        assert_consistent()


@pytest.fixture
def no_user_throttle(settings):
    """The race measures locks, not the per-user rate limit (its 16 clients share one user)."""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": None}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def _race_operations(ids: list[int], expiry: str) -> dict[str, Callable[[Any, random.Random], Any]]:
    """What a racing client does: each operation posts (or reads) with its client and random source."""

    def confirm(api: Any, rng: random.Random) -> Any:
        made = api.post(
            "/api/v1/distribution/allocation-runs/",
            {"warehouses": ["WH-TXQ"], "requests": rng.sample(ids, 3)},
            format="json",
        )
        if made.status_code != 201:
            return made
        return api.post(f"/api/v1/distribution/allocation-runs/{made.json()['id']}/confirm/")

    operations = {
        "confirm": confirm,
        "cancel": lambda api, rng: api.post(
            f"/api/v1/distribution/requests/{rng.choice(ids)}/cancel/", {"reason": "取消"}, format="json"
        ),
        "plan": lambda api, rng: api.post(
            "/api/v1/distribution/shipments/plan/", {"warehouses": ["WH-TXQ"]}, format="json"
        ),
        "issue": lambda api, rng: api.post(
            "/api/v1/inventory/issues/",
            {"warehouse": "WH-TXQ", "recipient": "FH-FCL", "lines": [{"item": "N95", "qty": rng.randint(1, 3)}]},
            format="json",
        ),
        "receipt": lambda api, rng: api.post(
            "/api/v1/inventory/receipts/",
            {
                "warehouse": "WH-TXQ",
                "lines": [
                    {"item": "N95", "lot": rng.choice(["B1", "B2"]), "qty": 2, "unit_cost": "1", "expiry": expiry}
                ],
            },
            format="json",
        ),
        "read": lambda api, rng: api.get("/api/v1/inventory/balances/?item=N95"),
    }
    return operations


def test_sixteen_clients_racing_the_api_see_no_500_and_leave_everything_consistent(
    base, file, api_for, n95, no_user_throttle
):
    txq = Site.objects.get(code="WH-TXQ")
    stock(txq, n95, 5000)
    recipients = list(Site.objects.filter(code__in=["FH-FCL", "EH-TY", "SO-310113007"]))
    requests = [allocated_request(file, recipients[i % 3], n95, 5 + i % 7, txq) for i in range(12)]
    requests += [
        actions.approve_request(file(recipients[i % 3], (n95, 4, in_days(2))), actor=SYSTEM) for i in range(24)
    ]
    ids = [r.pk for r in requests]
    clients = [api_for("commander") for _ in range(16)]
    statuses: Counter[tuple[str, int]] = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS
    expiry = in_days(300).isoformat()

    operations = _race_operations(ids, expiry)

    def client(n: int) -> None:
        rng = random.Random(n)
        api = clients[n]
        try:
            while time.monotonic() < deadline:
                name = rng.choice(list(operations))
                response = operations[name](api, rng)
                with lock:
                    statuses[(name, response.status_code)] += 1
                    if response.status_code >= 500:
                        errors.append(f"{name}: {response.status_code} {response.content[:300]!r}")
        except Exception as exc:  # noqa: BLE001 - an exception in a client is a failure to report
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    print(f"race for {SECONDS:.0f} s, 16 clients:", dict(sorted(statuses.items())))  # shown with -s
    assert errors == []
    done = {name for (name, status), n in statuses.items() if status in (200, 201)}
    assert {"confirm", "cancel", "plan", "issue", "receipt", "read"} <= done, statuses
    assert {status for _name, status in statuses} <= {200, 201, 400, 404, 409}, statuses
    assert_consistent()
