"""The drill command from outside: a real ``baogong drill`` process on a committed database.

SQLite: the test database is copied to a file (online backup) for the child; PostgreSQL: the child
uses the test database itself. Every table's row count and ``baogong check-ledger`` are the same
before and after.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
BAOGONG = ROOT / ".venv" / "bin" / "baogong"


def database_url(tmp_path: Path) -> str:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        path = tmp_path / "drill.sqlite3"
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{path}"
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def row_counts(url: str) -> dict[str, int]:
    """Rows of every table, read from the database the child uses."""
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}  # noqa: S608
        finally:
            db.close()
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = {}
        for table in sorted(tables):
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (names from the catalogue)
            counts[table] = cursor.fetchone()[0]
        return counts


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BAOGONG_TEST_DB_NAME"}
    env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="baogong.settings")
    return subprocess.run(  # noqa: S603 (our own console script)
        [str(BAOGONG), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_drill_command_prints_the_contract_and_changes_nothing(network, tmp_path):
    # given a committed database with stock, vehicles and requests due in the window
    url = database_url(tmp_path)
    before = row_counts(url)
    start = network["start"].isoformat()
    # when the drill runs in its own process
    done = run(url, "drill", "--lockdown", "WH-TXQ", "--from", start, "--days", "3", "--seed", "7", "--format", "json")
    # then it prints one JSON object of the contract
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    for side in ("baseline", "drill"):
        assert set(answer[side]) >= {"fill_rate_by_tier", "unmet_units", "km"}
        assert all(0 <= v <= 1 for v in answer[side]["fill_rate_by_tier"].values())
        assert isinstance(answer[side]["unmet_units"], int)
        assert isinstance(answer[side]["km"], int | float)
    assert answer["baseline"]["fill_rate_by_tier"] == {"1": 1.0, "2": 1.0, "3": 0.6}
    assert answer["drill"]["fill_rate_by_tier"] == {"1": 1.0, "2": 0.5, "3": 0.0}
    assert answer["moved"] and all(set(m) >= {"item", "recipient", "from", "to", "qty"} for m in answer["moved"])
    assert {"item": "N95", "recipient": "FH-FCL", "from": "WH-TXQ", "to": "WH-YY", "qty": 60} in answer["moved"]
    # and the database is unchanged: every table's rows, the warehouse's status, the ledger
    assert row_counts(url) == before
    checked = run(url, "check-ledger")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    status = run(
        url, "shell", "-c", "from baogong.orgs.models import Site; print(Site.objects.get(code='WH-TXQ').status)"
    )
    assert status.stdout.strip().splitlines()[-1] == "normal"
    # and the same seed gives the same answer
    again = run(url, "drill", "--lockdown", "WH-TXQ", "--from", start, "--days", "3", "--seed", "7", "--format", "json")
    assert json.loads(again.stdout) == answer


def test_drill_command_refuses_bad_input_with_the_field(base, tmp_path):
    url = database_url(tmp_path)
    done = run(url, "drill", "--lockdown", "NOWHERE", "--from", "2022-04-01", "--days", "3", "--format", "json")
    assert done.returncode != 0
    assert "lockdown" in done.stderr and "NOWHERE" in done.stderr
    assert done.stdout == ""
