"""Sizes a person can read (issue 18): no Python file in ``baogong/`` over 600 lines and no
function over 80 lines, tests included; migrations are generated and left out.

A module or function that must be longer (a data table) is named below with its reason; the
test also fails when a named exception is no longer needed, so the lists only shrink."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.clock_free  # no clock read: left out of the moved-clock pass (make test-clock)
ROOT = Path(__file__).resolve().parents[2]  # baogong/
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80

# path relative to baogong/ -> why it may be longer
FILE_EXCEPTIONS: dict[str, str] = {}
# (path relative to baogong/, qualified function name) -> why it may be longer
FUNCTION_EXCEPTIONS: dict[tuple[str, str], str] = {}


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.relative_to(ROOT).parts)


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, int]]:
    """(qualified name, length in lines from ``def`` to its end, decorators not counted) of every
    function and method, nested ones included."""
    found: list[tuple[str, int]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                found.append((name, (node.end_lineno or node.lineno) - node.lineno + 1))
            found += _functions(node, f"{name}.")
        else:
            found += _functions(node, prefix)
    return found


def _oversized() -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    files: dict[str, int] = {}
    functions: dict[tuple[str, str], int] = {}
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_FILE_LINES:
            files[rel] = lines
        for name, length in _functions(ast.parse(text, filename=rel)):
            if length > MAX_FUNCTION_LINES:
                functions[(rel, name)] = length
    return files, functions


def test_no_python_file_is_over_600_lines_and_no_function_over_80():
    files, functions = _oversized()
    assert {k: v for k, v in files.items() if k not in FILE_EXCEPTIONS} == {}
    assert {k: v for k, v in functions.items() if k not in FUNCTION_EXCEPTIONS} == {}
    # An exception that is no longer needed is taken off its list.
    assert set(FILE_EXCEPTIONS) <= set(files)
    assert set(FUNCTION_EXCEPTIONS) <= set(functions)


def test_the_size_check_sees_long_functions_methods_and_nested_ones():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    source = f"class A:\n    def long(self):\n{body.replace('    ', '        ')}\n\ndef outer():\n    def inner():\n{body.replace('    ', '        ')}\n    return inner\n"
    sizes = dict(_functions(ast.parse(source)))
    assert sizes["A.long"] == MAX_FUNCTION_LINES + 1
    assert sizes["outer.inner"] == MAX_FUNCTION_LINES + 1
    assert sizes["outer"] == MAX_FUNCTION_LINES + 3
