"""Migrate an in-memory SQLite database and save it to the file given (make's test DB template:
conftest.py copies it into each SQLite test process instead of migrating again). In memory, the
migrations do not wait on the disk after each step."""

from __future__ import annotations

import os
import sqlite3
import sys

os.environ["DATABASE_URL"] = "sqlite://:memory:"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402


def main(target: str) -> None:
    call_command("migrate", interactive=False, verbosity=0, run_syncdb=True)
    connection.ensure_connection()
    out = sqlite3.connect(target)
    try:
        connection.connection.backup(out)
    finally:
        out.close()


if __name__ == "__main__":
    main(sys.argv[1])
