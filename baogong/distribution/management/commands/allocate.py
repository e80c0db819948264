"""`baogong allocate PROBLEM.json`: print the allocation answer (DESIGN.md) as JSON on stdout."""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand

from baogong.distribution.allocation import ProblemError, allocate


class Command(BaseCommand):
    help = "Allocate scarce stock by the policy of DESIGN.md; PROBLEM.json is a file path or '-' for stdin."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("problem", help="path of the problem JSON file, or - for standard input")
        parser.add_argument("--indent", type=int, default=None, help="pretty-print with this indent")

    def _fail(self, message: str) -> None:
        self.stderr.write(f"allocate: {message}")
        sys.stderr.flush()
        sys.exit(2)

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["problem"]
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
        except OSError as exc:
            self._fail(f"cannot read {path}: {exc.strerror or exc}")
            return
        except UnicodeDecodeError:
            self._fail(f"{path} is not UTF-8 text")
            return
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            self._fail(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
            return
        try:
            answer = allocate(data)
        except ProblemError as exc:
            self._fail("invalid problem:\n  " + "\n  ".join(exc.errors))
            return
        self.stdout.write(json.dumps(answer, ensure_ascii=False, indent=options["indent"]))
        sys.stdout.flush()
