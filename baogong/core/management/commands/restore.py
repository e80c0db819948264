from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from baogong.core.backup import restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by `baogong backup` (replaces the database and uploaded files)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("archive")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, **options: Any) -> None:
        archive = Path(options["archive"])
        if not archive.exists():
            raise CommandError(f"no such file: {archive}")
        if not options["yes"]:
            answer = input("This replaces the current database and files. Type 'yes' to continue: ")
            if answer.strip() != "yes":
                raise CommandError("restore cancelled")
        manifest = restore_backup(archive)
        self.stdout.write(f"restored {manifest['database']} from {manifest['created_at']}")
