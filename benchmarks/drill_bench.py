"""Drill benchmark: ``baogong drill`` on the 60-day replay database, timed, and the database checked
unchanged (row counts of every table and ``baogong check-ledger`` before and after).

Without ``--database`` it builds the replay first in a temporary folder (``migrate``, ``bootstrap``,
``demo --scenario baoshan-2022 --seed 1 --days 60``: about 3 minutes on the 2-core VM).

    .venv/bin/python benchmarks/drill_bench.py [--database /tmp/hf-replay.sqlite3]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BAOGONG = ROOT / ".venv" / "bin" / "baogong"

RUNS = [
    ("lockdown WH-TXQ, 7 days", ["--lockdown", "WH-TXQ", "--from", "2022-04-10", "--days", "7"]),
    ("lockdown WH-TXQ, 60 days", ["--lockdown", "WH-TXQ", "--from", "2022-04-01", "--days", "60"]),
    (
        "lockdown WH-BY + fleet cut 30 % + roads +20 % + surge 50 % in 310113109, 14 days",
        [
            "--lockdown", "WH-BY", "--fleet-cut", "30", "--road-closure", "20",
            "--surge-area", "310113109", "--surge", "50", "--from", "2022-04-10", "--days", "14",
        ],
    ),
]  # fmt: skip


def baogong(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="baogong.settings")
    return subprocess.run([str(BAOGONG), *args], env=env, capture_output=True, text=True, check=False, cwd=ROOT)  # noqa: S603


def row_counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}  # noqa: S608
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", help="an existing replay database (SQLite file)")
    parser.add_argument("--seed", default="1")
    args = parser.parse_args()
    if args.database:
        path = Path(args.database)
    else:
        path = Path(tempfile.mkdtemp()) / "replay.sqlite3"
        url = f"sqlite:///{path}"
        started = time.monotonic()
        for step in (
            ["migrate", "--noinput"],
            ["bootstrap"],
            ["demo", "--scenario", "baoshan-2022", "--seed", "1", "--days", "60"],
        ):
            done = baogong(url, *step)
            if done.returncode:
                sys.exit(done.stderr)
        print(f"replay built in {time.monotonic() - started:.1f} s")  # noqa: T201
    url = f"sqlite:///{path}"
    before = row_counts(path)
    ledger = baogong(url, "check-ledger")
    print(
        f"database {path}: {sum(before.values()):,} rows in {len(before)} tables; check-ledger exit {ledger.returncode}"
    )  # noqa: T201
    for label, extra in RUNS:
        load = os.getloadavg()[0]
        started = time.monotonic()
        done = baogong(url, "drill", *extra, "--seed", args.seed, "--format", "json")
        seconds = time.monotonic() - started
        if done.returncode:
            sys.exit(done.stderr)
        answer = json.loads(done.stdout)
        base, drill = answer["baseline"], answer["drill"]
        print(  # noqa: T201
            f"{label}: {seconds:.1f} s (load {load:.2f} → {os.getloadavg()[0]:.2f}); "
            f"unmet {base['unmet_units']} → {drill['unmet_units']}, km {base['km']} → {drill['km']}, "
            f"vehicle-days {base['vehicle_days']} → {drill['vehicle_days']}, moved {len(answer['moved'])} rows; "
            f"fill by tier {base['fill_rate_by_tier']} → {drill['fill_rate_by_tier']}"
        )
    after = row_counts(path)
    changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
    ledger_after = baogong(url, "check-ledger")
    print(
        f"unchanged: row counts {'identical' if not changed else changed}; check-ledger exit {ledger_after.returncode}"
    )  # noqa: T201


if __name__ == "__main__":
    main()
