"""Crash safety: a process killed (SIGKILL) in the middle of a large import, an allocation
confirmation or a stocktake posting leaves no partial document and a consistent ledger.

Each test builds its state through the real actions (committed: transactional test), hands the
database to a child process (SQLite: the test database copied to a file in a temporary folder
with the online backup API; PostgreSQL: the test database itself), waits until the child is
inside the action's transaction with every row written but not committed (it writes a marker
file from the audit hook, with the counts it sees there), kills it, then checks from new
processes that the committed counts are unchanged and ``baogong check-ledger`` passes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from openpyxl import Workbook

from baogong.core.audit import SystemActor
from tests.crash.child import counts

pytestmark = [pytest.mark.crash, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
BAOGONG = ROOT / ".venv" / "bin" / "baogong"
CHILD = Path(__file__).with_name("child.py")
ACTOR = SystemActor("crash-test")


def database_url(tmp_path: Path) -> str:
    """A URL for other processes that reaches the committed state of the test database."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        path = tmp_path / "crash.sqlite3"
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{path}"
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def child_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "BAOGONG_TEST_DB_NAME"}
    env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="baogong.settings", PYTHONPATH=str(ROOT))
    return env


def idle_in_transaction() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def kill_inside_transaction(url: str, tmp_path: Path, scenario: str, args: dict[str, Any]) -> dict[str, Any]:
    """Start the child, wait for its marker, SIGKILL it; the counts it saw inside the transaction."""
    marker = tmp_path / "marker.json"
    log = (tmp_path / "child.log").open("w")
    process = subprocess.Popen(
        [str(PYTHON), str(CHILD), scenario, str(marker), json.dumps(args)],
        cwd=ROOT,
        env=child_env(url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            if process.poll() is not None:
                log.close()
                pytest.fail(
                    f"the child ended (rc {process.returncode}) before the marker:\n"
                    + (tmp_path / "child.log").read_text()[-3000:]
                )
            if time.monotonic() > deadline:
                pytest.fail("no marker from the child within 300 s")
            time.sleep(0.05)
        if connection.vendor == "postgresql":
            assert idle_in_transaction() >= 1  # the child's transaction is open on the server
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    assert process.returncode == -signal.SIGKILL
    if connection.vendor == "postgresql":
        deadline = time.monotonic() + 30
        while idle_in_transaction() and time.monotonic() < deadline:  # the server notices the client died
            time.sleep(0.05)
        assert idle_in_transaction() == 0
    return json.loads(marker.read_text())


def committed_counts(url: str) -> dict[str, Any]:
    """The counts a fresh process sees (SQLite: it also recovers the file after the kill)."""
    out = subprocess.run(
        [str(PYTHON), str(CHILD), "inspect", "-", "{}"],
        cwd=ROOT,
        env=child_env(url),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def assert_ledger_ok(url: str) -> None:
    result = subprocess.run(
        [str(BAOGONG), "check-ledger"], cwd=ROOT, env=child_env(url), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ledger ok" in result.stdout


def receive(items: list[Any], lots_per_item: int, qty: int) -> None:
    from baogong.inventory.actions import ReceiptLineInput, receive_stock
    from baogong.orgs.models import Site

    receive_stock(
        Site.objects.get(code="WH-TXQ"),
        [
            ReceiptLineInput(
                item=item,
                batch=f"{item.code}-{k}",
                qty=qty,
                unit_cost=Decimal("10.00"),
                expiry=dt.date.today() + dt.timedelta(days=200 + k),
            )
            for item in items
            for k in range(lots_per_item)
        ],
        actor=ACTOR,
    )


def make_items(n: int, prefix: str) -> list[Any]:
    from baogong.catalog.actions import create_item

    return [create_item({"code": f"{prefix}{i:03d}", "name": f"物资{i}", "unit": "箱"}, actor=ACTOR) for i in range(n)]


def test_kill_during_a_20000_row_item_import(base, tmp_path):
    # given a 20,000-row catalog workbook and a copy of the database for the child
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("items")
    sheet.append(["编码 / Code", "名称 / Name", "发放单位 / Issue unit", "参考价 / Reference price"])
    for i in range(20_000):
        sheet.append([f"CRASH-{i:05d}", f"崩溃测试物资{i}", "箱", "12.50"])
    path = tmp_path / "items.xlsx"
    workbook.save(path)
    before = counts()
    url = database_url(tmp_path)

    # when the import is killed after 100 items were written inside its transaction
    inside = kill_inside_transaction(url, tmp_path, "import_items", {"file": str(path), "after": 100})

    # then the child really had written them, and none of them survived
    assert inside["in_atomic_block"] is True
    assert inside["items"] == before["items"] + 100
    assert inside["audit_events"] > before["audit_events"]
    assert committed_counts(url) == before
    assert_ledger_ok(url)


def test_kill_during_an_allocation_confirmation(base, tmp_path):
    # given 300 approved one-line requests for 10 items in stock at 泰兴桥, previewed
    from baogong.distribution.actions import preview_allocation
    from baogong.distribution.models import Request, RequestLine
    from baogong.orgs.models import Site

    items = make_items(10, "CA")
    receive(items, lots_per_item=3, qty=200)
    recipients = list(Site.objects.exclude(kind="warehouse").exclude(lat=None).order_by("pk"))
    now = dt.datetime.now(dt.UTC)
    # Bulk-created like benchmarks/distribution_confirm_bench.py (300 requests through the
    # request actions would take most of the time budget; the action under test is the confirm).
    requests = Request.objects.bulk_create(
        Request(
            recipient=recipients[i % len(recipients)],
            channel="staff",
            status="approved",
            submitted_at=now,
            number=f"CRASH-{i:05d}",
        )
        for i in range(300)
    )
    RequestLine.objects.bulk_create(
        RequestLine(request=r, item=items[i % 10], qty=4, approved_qty=4, needed_by=dt.date.today())
        for i, r in enumerate(requests)
    )
    run = preview_allocation([Site.objects.get(code="WH-TXQ")], actor=ACTOR)
    assert run.summary["allocated"] == 1200
    before = counts()
    url = database_url(tmp_path)

    # when the confirmation is killed with every reservation written but not committed
    inside = kill_inside_transaction(url, tmp_path, "confirm_allocation", {"run": run.pk})

    # then the child had reserved the 1,200 units; none of it survived
    assert inside["in_atomic_block"] is True
    assert inside["confirmed_runs"] == before["confirmed_runs"] + 1
    assert inside["allocated_units"] == before["allocated_units"] + 1200
    assert inside["reserved_units"] == before["reserved_units"] + 1200
    assert inside["allocation_reservations"] > before["allocation_reservations"]
    after = committed_counts(url)
    assert after == before
    assert_ledger_ok(url)


def test_kill_during_a_stocktake_posting(base, tmp_path):
    # given a submitted count of 300 lots at 泰兴桥, every line with a variance
    from baogong.inventory.actions import record_counts, start_stocktake, submit_stocktake
    from baogong.orgs.models import Site

    items = make_items(30, "ST")
    receive(items, lots_per_item=10, qty=50)
    stocktake = start_stocktake(Site.objects.get(code="WH-TXQ"), actor=ACTOR)
    lines = list(stocktake.lines.order_by("pk"))
    assert len(lines) >= 300
    record_counts(
        stocktake, {line.pk: line.expected_qty + (2 if i % 2 else -1) for i, line in enumerate(lines)}, actor=ACTOR
    )
    submit_stocktake(stocktake, actor=ACTOR)
    before = counts()
    url = database_url(tmp_path)

    # when the approval is killed with every variance move written but not committed
    inside = kill_inside_transaction(url, tmp_path, "approve_stocktake", {"stocktake": stocktake.pk})

    # then the child had posted one move per line; none survived, and the ledger agrees
    assert inside["in_atomic_block"] is True
    assert inside["stock_moves"] == before["stock_moves"] + len(lines)
    assert inside["approved_stocktakes"] == before["approved_stocktakes"] + 1
    assert inside["on_hand_units"] != before["on_hand_units"]
    assert committed_counts(url) == before
    assert_ledger_ok(url)
