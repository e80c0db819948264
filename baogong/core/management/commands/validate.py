import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand

from baogong.core.identifiers import CHECKERS, Check


class Command(BaseCommand):
    help = "Validate identifiers: KIND is uscc, idcard, drug-approval or device-registration."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=sorted(CHECKERS))
        parser.add_argument("values", nargs="+")

    def handle(self, *args: Any, **options: Any) -> None:
        checker: Callable[[str], Check] = CHECKERS[options["kind"]]
        all_ok = True
        for value in options["values"]:
            result = checker(value)
            if result.ok:
                self.stdout.write(f"{value}\tok")
            else:
                all_ok = False
                self.stdout.write(f"{value}\tinvalid: {result.reason}")
        sys.stdout.flush()
        if not all_ok:
            sys.exit(1)
