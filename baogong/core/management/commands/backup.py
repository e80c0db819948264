import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from baogong.core.backup import create_backup


class Command(BaseCommand):
    help = "Back up the database (SQLite online backup or pg_dump) and uploaded files into one .tar.gz."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", help="Archive path (default var/backups/baogong-TIMESTAMP.tar.gz).")

    def handle(self, *args: Any, **options: Any) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        output = Path(options["output"] or Path(settings.VAR_DIR) / "backups" / f"baogong-{stamp}.tar.gz")
        manifest = create_backup(output)
        self.stdout.write(f"{output}\t{manifest['vendor']}\t{manifest['media_files']} files")
