"""Reading an allocation problem from JSON-like data: a fast path for well-formed input, a checked
path that names every error (``ProblemError``)."""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from baogong.distribution.allocation.model import Ident, Line, Problem, ProblemError, Request, Warehouse


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ident(value: Any, path: str, errors: list[str]) -> Ident:
    if isinstance(value, str) and value:
        return value
    if _is_int(value):
        return int(value)
    errors.append(f"{path}: must be a non-empty string or an integer")
    return ""


def _coord(value: Any, path: str, limit: float, errors: list[str]) -> float:
    if (isinstance(value, int | float) and not isinstance(value, bool)) and math.isfinite(value):
        if -limit <= value <= limit:
            return float(value)
        errors.append(f"{path}: must be between -{limit:g} and {limit:g}")
        return 0.0
    errors.append(f"{path}: must be a number")
    return 0.0


def _units(value: Any, path: str, errors: list[str]) -> int:
    if _is_int(value) and value >= 0:
        return int(value)
    errors.append(f"{path}: must be a whole number of issue units >= 0")
    return 0


def _parse_date(value: Any, path: str, errors: list[str]) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    errors.append(f"{path}: must be a date YYYY-MM-DD")
    return None


def _parse_datetime(value: Any, path: str, errors: list[str]) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            # Compare aware times in UTC; naive times are taken as given.
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(UTC).replace(tzinfo=None)
            return parsed
    errors.append(f"{path}: must be an ISO 8601 date-time")
    return None


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: parsing and solving allocate hundreds of thousands of
    small acyclic objects, and the collections they trigger cost as much as the work itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_problem(data: Any) -> Problem:
    """Validate the JSON contract and build a :class:`Problem`; raises :class:`ProblemError`."""
    with _gc_paused():
        problem = _parse_fast(data)
        return problem if problem is not None else _parse_checked(data)


def _fast_ident(value: Any) -> Ident | None:
    kind = type(value)
    if (kind is str and value) or kind is int:
        return value
    return None


def _fast_coord(value: Any, limit: float) -> float | None:
    kind = type(value)
    if (kind is float or kind is int) and -limit <= value <= limit:
        return float(value)
    return None


def _parse_fast(data: Any) -> Problem | None:
    """The common case in one quick pass: exactly what :func:`_parse_checked` builds for a valid
    problem of plain JSON types, or ``None`` at the first doubt (then the checked parser runs and
    lists every error). Dates and times repeat a lot, so each distinct text is parsed once."""
    if type(data) is not dict:
        return None
    raw_warehouses = data.get("warehouses")
    raw_requests = data.get("requests")
    if type(raw_warehouses) is not list or type(raw_requests) is not list:
        return None
    warehouses = _fast_warehouses(raw_warehouses)
    if warehouses is None:
        return None
    dates: dict[str, date | None] = {}
    times: dict[str, datetime | None] = {}
    requests: list[Request] = []
    seen: set[Ident] = set()
    for raw in raw_requests:
        if type(raw) is not dict:
            return None
        rid = _fast_ident(raw.get("id"))
        tier = raw.get("tier")
        lat = _fast_coord(raw.get("lat"), 90)
        lon = _fast_coord(raw.get("lon"), 180)
        raw_lines = raw.get("lines")
        if (
            rid is None
            or rid in seen
            or type(tier) is not int
            or tier < 1
            or lat is None
            or lon is None
            or type(raw_lines) is not list
        ):
            return None
        seen.add(rid)
        needed_by = _fast_when(raw.get("needed_by"), dates, _parse_date)
        submitted_at = _fast_when(raw.get("submitted_at"), times, _parse_datetime)
        lines = _fast_lines(raw_lines)
        if needed_by is _DOUBT or submitted_at is _DOUBT or lines is None:
            return None
        requests.append(Request(rid, tier, lat, lon, needed_by, submitted_at, lines))
    return Problem(tuple(warehouses), tuple(requests))


def _fast_warehouses(raw_warehouses: list[Any]) -> list[Warehouse] | None:
    warehouses: list[Warehouse] = []
    seen: set[Ident] = set()
    for raw in raw_warehouses:
        if type(raw) is not dict:
            return None
        wid = _fast_ident(raw.get("id"))
        lat = _fast_coord(raw.get("lat"), 90)
        lon = _fast_coord(raw.get("lon"), 180)
        raw_stock = raw.get("stock", {})
        if wid is None or wid in seen or lat is None or lon is None or type(raw_stock) is not dict:
            return None
        seen.add(wid)
        stock: dict[str, int] = {}
        for item, qty in raw_stock.items():
            if type(qty) is not int or qty < 0:
                return None
            stock[str(item)] = qty
        warehouses.append(Warehouse(wid, lat, lon, stock))
    return warehouses


_DOUBT: Any = object()
"""What :func:`_fast_when` answers for a value the quick pass leaves to the checked parser."""

_When = TypeVar("_When", date, datetime)


def _fast_when(
    text: Any, cache: dict[str, _When | None], parse: Callable[[str, str, list[str]], _When | None]
) -> _When | None:
    """``None`` when absent, the parsed value (each distinct text parsed once), or ``_DOUBT``."""
    if text is None:
        return None
    if type(text) is not str:
        return _DOUBT
    if text in cache:
        value = cache[text]
    else:
        value = cache[text] = parse(text, "", [])
    return _DOUBT if value is None else value


def _fast_lines(raw_lines: list[Any]) -> tuple[Line, ...] | None:
    lines: list[Line] = []
    for raw_line in raw_lines:
        if type(raw_line) is not dict:
            return None
        item = raw_line.get("item")
        qty = raw_line.get("qty")
        if type(item) is not str or not item or type(qty) is not int or qty < 0:
            return None
        lines.append(Line(item, qty))
    return tuple(lines)


def _parse_checked(data: Any) -> Problem:
    """Validate field by field, collecting every error; raises :class:`ProblemError`."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise ProblemError(["problem: must be an object with 'warehouses' and 'requests'"])
    raw_warehouses = data.get("warehouses")
    raw_requests = data.get("requests")
    if not isinstance(raw_warehouses, list):
        errors.append("warehouses: must be a list")
        raw_warehouses = []
    if not isinstance(raw_requests, list):
        errors.append("requests: must be a list")
        raw_requests = []

    warehouses: list[Warehouse] = []
    seen_w: set[Ident] = set()
    for i, raw in enumerate(raw_warehouses):
        path = f"warehouses[{i}]"
        if not isinstance(raw, dict):
            errors.append(f"{path}: must be an object")
            continue
        wid = _ident(raw.get("id"), f"{path}.id", errors)
        if wid in seen_w and wid != "":
            errors.append(f"{path}.id: duplicate warehouse id {wid!r}")
        seen_w.add(wid)
        lat = _coord(raw.get("lat"), f"{path}.lat", 90, errors)
        lon = _coord(raw.get("lon"), f"{path}.lon", 180, errors)
        raw_stock = raw.get("stock", {})
        stock: dict[str, int] = {}
        if not isinstance(raw_stock, dict):
            errors.append(f"{path}.stock: must be an object mapping item to units")
        else:
            for item, qty in raw_stock.items():
                stock[str(item)] = _units(qty, f"{path}.stock.{item}", errors)
        warehouses.append(Warehouse(wid, lat, lon, stock))

    requests: list[Request] = []
    seen_r: set[Ident] = set()
    for i, raw in enumerate(raw_requests):
        path = f"requests[{i}]"
        if not isinstance(raw, dict):
            errors.append(f"{path}: must be an object")
            continue
        rid = _ident(raw.get("id"), f"{path}.id", errors)
        if rid in seen_r and rid != "":
            errors.append(f"{path}.id: duplicate request id {rid!r}")
        seen_r.add(rid)
        tier: Any = raw.get("tier")
        if not (_is_int(tier) and tier >= 1):
            errors.append(f"{path}.tier: must be an integer >= 1")
            tier = 1
        lat = _coord(raw.get("lat"), f"{path}.lat", 90, errors)
        lon = _coord(raw.get("lon"), f"{path}.lon", 180, errors)
        needed_by = _parse_date(raw.get("needed_by"), f"{path}.needed_by", errors)
        submitted_at = _parse_datetime(raw.get("submitted_at"), f"{path}.submitted_at", errors)
        raw_lines = raw.get("lines")
        lines: list[Line] = []
        if not isinstance(raw_lines, list):
            errors.append(f"{path}.lines: must be a list")
        else:
            for j, raw_line in enumerate(raw_lines):
                lpath = f"{path}.lines[{j}]"
                if not isinstance(raw_line, dict):
                    errors.append(f"{lpath}: must be an object")
                    continue
                item = raw_line.get("item")
                if not (isinstance(item, str) and item) and not _is_int(item):
                    errors.append(f"{lpath}.item: must be a non-empty string")
                    item = ""
                lines.append(Line(str(item), _units(raw_line.get("qty"), f"{lpath}.qty", errors)))
        requests.append(Request(rid, int(tier), lat, lon, needed_by, submitted_at, tuple(lines)))

    if errors:
        raise ProblemError(errors)
    return Problem(tuple(warehouses), tuple(requests))


# --------------------------------------------------------------------------- shares
