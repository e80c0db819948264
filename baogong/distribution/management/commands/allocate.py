"""`baogong allocate PROBLEM.json`: print the allocation answer (DESIGN.md) as JSON on stdout.

The plain forms are answered by ``baogong.distribution.cli`` before Django starts (see there);
this command runs the same functions for every other form and for ``call_command``.
"""

import sys
from typing import Any

from django.core.management.base import BaseCommand

from baogong.distribution.cli import AllocateFailed, allocate_text, read_problem


class Command(BaseCommand):
    help = "Allocate scarce stock by the policy of DESIGN.md; PROBLEM.json is a file path or '-' for stdin."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("problem", help="path of the problem JSON file, or - for standard input")
        parser.add_argument("--indent", type=int, default=None, help="pretty-print with this indent")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["problem"]
        try:
            answer = allocate_text(read_problem(path, sys.stdin), path, options["indent"])
        except AllocateFailed as exc:
            self.stderr.write(f"allocate: {exc}")
            sys.stderr.flush()
            sys.exit(2)
        self.stdout.write(answer)
        sys.stdout.flush()
