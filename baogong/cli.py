"""The ``baogong`` console entry point: Django's manage.py with the project's settings."""

from __future__ import annotations

import os
import sys

ALIASES = {"check-ledger": "check_ledger", "run-scheduled": "run_scheduled"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and args[1] in ALIASES:
        args[1] = ALIASES[args[1]]
    if len(args) > 1 and args[1] == "allocate":  # pure computation: answered without Django
        from baogong.distribution.cli import main as allocate

        code = allocate(args[2:])
        if code is not None:
            sys.exit(code)
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
