"""`baogong allocate PROBLEM.json` without Django.

The engine needs neither settings nor a database, and setting Django up (importing every app's
models) costs more than solving the 5,000-request benchmark. ``baogong.cli`` therefore answers
the plain forms ``baogong allocate PATH [--indent N]`` here, before Django starts; any other form
(``--help``, ``--settings``, ...) goes through the management command, which runs the same
functions below. Imports nothing from Django.
"""

from __future__ import annotations

import gc
import json
import sys
from typing import TextIO

from baogong.distribution.allocation import ProblemError, answer_text, parse_problem, solve


class AllocateFailed(Exception):
    """The problem could not be read or is invalid; the message goes to stderr, exit code 2."""


def read_problem(path: str, stdin: TextIO) -> str:
    try:
        if path == "-":
            return stdin.read()
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise AllocateFailed(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise AllocateFailed(f"{path} is not UTF-8 text") from exc


def allocate_text(text: str, path: str, indent: int | None) -> str:
    """The answer to the problem in ``text`` as JSON text (``json.dumps``, non-ASCII as is)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AllocateFailed(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    try:
        result = solve(parse_problem(data))
    except ProblemError as exc:
        raise AllocateFailed("invalid problem:\n  " + "\n  ".join(exc.errors)) from exc
    if indent is None:
        return answer_text(result)
    from baogong.distribution.allocation import answer_json

    return json.dumps(answer_json(result), ensure_ascii=False, indent=indent)


def _plain_arguments(args: list[str]) -> tuple[str, int | None] | None:
    """``PATH`` with an optional ``--indent N`` / ``--indent=N``, else None."""
    path: str | None = None
    indent: int | None = None
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--indent" and rest and rest[0].lstrip("-").isdigit():
            indent = int(rest.pop(0))
        elif arg.startswith("--indent=") and arg[9:].lstrip("-").isdigit():
            indent = int(arg[9:])
        elif path is None and (arg == "-" or not arg.startswith("-")):
            path = arg
        else:
            return None
    return None if path is None else (path, indent)


def main(args: list[str]) -> int | None:
    """Run ``allocate`` with the arguments after the command name; None when they are not the
    plain form (the caller then hands them to Django's command line)."""
    parsed = _plain_arguments(args)
    if parsed is None:
        return None
    path, indent = parsed
    gc.disable()  # a short-lived process: no cycles worth collecting
    try:
        answer = allocate_text(read_problem(path, sys.stdin), path, indent)
    except AllocateFailed as exc:
        sys.stderr.write(f"allocate: {exc}\n")
        sys.stderr.flush()
        return 2
    sys.stdout.write(answer + "\n")
    sys.stdout.flush()
    return 0
