"""A backup taken while the lockdown replay is writing restores to a consistent, working system.

Everything runs as the operator would: `baogong migrate`, `bootstrap` and `demo` on a SQLite file
in child processes; `baogong backup` while the replay is still running; `baogong restore` into
another database and another media folder; then `check-ledger` and the work summary on the
restored system. The append-only tables (stock moves, audit events) of the restored database are
exactly the first rows of the final database: the backup is one consistent snapshot taken in the
middle of the replay, nothing half-written, nothing altered.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.security]

BAOGONG = str(Path(sys.executable).with_name("baogong"))


def environment(tmp_path: Path, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / f'{name}.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / f"media-{name}"),
        BAOGONG_VAR_DIR=str(tmp_path / f"var-{name}"),
        DJANGO_SETTINGS_MODULE="baogong.settings",
    )
    return env


def baogong(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BAOGONG, *args], env=env, capture_output=True, text=True, timeout=600, check=False)


def rows(path: Path, table: str) -> list[tuple]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()  # noqa: S608 - fixed names


def count(path: Path, table: str) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608


def test_a_backup_taken_during_the_replay_restores_to_a_consistent_working_system(tmp_path):
    live = environment(tmp_path, "live")
    live_db = tmp_path / "live.sqlite3"
    for step in (("migrate", "--noinput", "-v", "0"), ("bootstrap",)):
        done = baogong(live, *step)
        assert done.returncode == 0, done.stderr[-2000:]
    media = Path(live["MEDIA_ROOT"]) / "licences"
    media.mkdir(parents=True)
    (media / "营业执照.pdf").write_bytes(b"%PDF-1.4 licence of a supplier")

    # given the lockdown replay writing to the database
    replay = subprocess.Popen(  # noqa: S603 - our own command
        [BAOGONG, "demo", "--scenario", "baoshan-2022", "--seed", "2022", "--days", "8"],
        env=live,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while count(live_db, "inventory_stockmove") < 200:
            assert replay.poll() is None, "the replay ended before the backup: " + replay.stderr.read()[-2000:]
            assert time.monotonic() < deadline, "the replay wrote no stock moves"
            time.sleep(0.2)

        # when the operator takes a backup while it runs
        archive = tmp_path / "during.tar.gz"
        backup = baogong(live, "backup", "--output", str(archive))
        assert backup.returncode == 0, backup.stderr[-2000:]
        still_running = replay.poll() is None
    finally:
        replay.wait(timeout=600)
    assert replay.returncode == 0, replay.stderr.read()[-2000:]
    assert still_running, "the backup must be taken while the replay is writing"

    # and restores it into another database and media folder
    restored = environment(tmp_path, "restored")
    restored_db = tmp_path / "restored.sqlite3"
    done = baogong(restored, "restore", str(archive), "--yes")
    assert done.returncode == 0, done.stderr[-2000:]

    # then the restored ledger is consistent and the system answers its reports
    check = baogong(restored, "check-ledger")
    assert check.returncode == 0, check.stdout + check.stderr
    summary = baogong(restored, "report", "summary", "--from", "2022-04-01", "--to", "2022-05-31")
    assert summary.returncode == 0 and "保供工作总结" in summary.stdout, summary.stderr[-2000:]
    assert (
        Path(restored["MEDIA_ROOT"]) / "licences" / "营业执照.pdf"
    ).read_bytes() == b"%PDF-1.4 licence of a supplier"

    # and it is one snapshot of the replay in the middle: the append-only tables hold exactly the
    # first rows of the final database, unchanged, and fewer than the replay wrote in the end
    for table in ("inventory_stockmove", "core_auditevent"):
        before, after = rows(restored_db, table), rows(live_db, table)
        assert 0 < len(before) < len(after), table
        assert after[: len(before)] == before, table
    # and every other table of the live database exists, migrated to the same state
    with sqlite3.connect(f"file:{restored_db}?mode=ro", uri=True) as db:
        restored_migrations = db.execute("SELECT app, name FROM django_migrations ORDER BY app, name").fetchall()
    with sqlite3.connect(f"file:{live_db}?mode=ro", uri=True) as db:
        live_migrations = db.execute("SELECT app, name FROM django_migrations ORDER BY app, name").fetchall()
    assert restored_migrations == live_migrations
