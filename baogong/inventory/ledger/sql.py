"""Set-based writes of large receipts: relative updates and inserts without model instances."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from baogong.inventory.errors import InvalidState
from baogong.inventory.models import Reservation, StockBalance


def _add_on_hand(increments: list[tuple[int, int]]) -> None:
    """``on_hand = on_hand + n`` for many locked rows, one statement per 1,000 (a relative update, like F())."""
    table = StockBalance._meta.db_table
    for start in range(0, len(increments), 1000):
        chunk = increments[start : start + 1000]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        params = [v for pair in chunk for v in pair]
        sql = (
            f'UPDATE "{table}" SET "on_hand" = "{table}"."on_hand" + v.q '  # noqa: S608 - fixed identifiers
            f"FROM (SELECT column1 AS bid, column2 AS q FROM (VALUES {values}) AS vv) AS v "
            f'WHERE "{table}"."id" = v.bid'
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.rowcount != len(chunk):  # pragma: no cover - the rows are locked
                raise InvalidState(_("Stock kept changing; try again."))


def _consume_open(amounts: list[tuple[int, int]], active: str, consumed: str) -> int:
    """``qty = qty - n`` (``consumed`` when it reaches 0) for each ``(reservation id, n)`` still
    ``active`` with ``qty >= n``, one statement per 300; answers the rows changed (the caller checks)."""
    table = Reservation._meta.db_table
    changed = 0
    for start in range(0, len(amounts), 300):
        chunk = amounts[start : start + 300]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        sql = (
            f'UPDATE "{table}" SET "qty" = "{table}"."qty" - v.n, '  # noqa: S608 - fixed identifiers
            f'"status" = CASE WHEN "{table}"."qty" = v.n THEN %s ELSE "{table}"."status" END '
            f"FROM (SELECT column1 AS rid, column2 AS n FROM (VALUES {values}) AS vv) AS v "
            f'WHERE "{table}"."id" = v.rid AND "{table}"."status" = %s AND "{table}"."qty" >= v.n'
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [consumed, *[v for pair in chunk for v in pair], active])
            changed += cursor.rowcount
    return changed


def _insert_zero_balances(keys: list[tuple[int, int, int]]) -> None:
    """Missing balances ``(item_id, lot_id, location_id)`` as zero rows, in key order, one statement
    per 10,000 rows; rows that exist (or that another transaction is inserting) are left alone
    (``ON CONFLICT DO NOTHING``). Called before any balance is locked (lock order, step 5)."""
    insert_rows(
        StockBalance._meta.db_table,
        ("item_id", "lot_id", "location_id"),
        ("bigint", "bigint", "bigint"),
        sorted(keys, key=lambda k: (k[1], k[2])),
        constants=(("on_hand", "integer", 0), ("reserved", "integer", 0)),
        suffix='ON CONFLICT ("lot_id", "location_id") DO NOTHING',
    )


def insert_rows(
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    constants: Sequence[tuple[str, str, Any]] = (),
    suffix: str = "",
) -> None:
    """``INSERT`` many rows without building model instances (large receipts).

    PostgreSQL: one ``INSERT … SELECT FROM unnest(arrays)`` per 10,000 rows — one array literal per
    varying column, ``constants`` ``(column, type, value)`` as single parameters; SQLite:
    ``executemany`` of one prepared statement. ``types`` are PostgreSQL element types; values must
    already be adapted (see :func:`_db_value`). ``suffix`` is an ``ON CONFLICT`` clause.
    """
    if not rows:
        return
    names = ", ".join(f'"{c}"' for c in [*columns, *(c[0] for c in constants)])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{t}[]" for t in types)
            fixed = "".join(f", %s::{c[1]}" for c in constants)
            sql = f'INSERT INTO "{table}" ({names}) SELECT *{fixed} FROM unnest({arrays}) {suffix}'  # noqa: S608
            for start in range(0, len(rows), 10_000):
                chunk = rows[start : start + 10_000]
                literals = [_array_literal(column) for column in zip(*chunk, strict=True)]
                cursor.execute(sql, [*(c[2] for c in constants), *literals])
        else:
            marks = ", ".join(["%s"] * (len(columns) + len(constants)))
            tail = tuple(c[2] for c in constants)
            cursor.executemany(
                f'INSERT INTO "{table}" ({names}) VALUES ({marks}) {suffix}',  # noqa: S608
                [(*row, *tail) for row in rows],
            )


def _array_literal(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal (``{1,NULL,"a b"}``) of ints, decimals, dates and strings."""
    out = []
    for value in values:
        if value is None:
            out.append("NULL")
        elif isinstance(value, bool):
            out.append("t" if value else "f")
        elif isinstance(value, int | Decimal):
            out.append(str(value))
        else:
            text = value.isoformat() if isinstance(value, dt.date) else str(value)
            out.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(out) + "}"


def _db_value(value: Any) -> Any:
    """A date, time or decimal as the database driver takes it in raw SQL."""
    ops = connection.ops
    if isinstance(value, dt.datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return ops.adapt_datefield_value(value)
    if isinstance(value, Decimal):
        return ops.adapt_decimalfield_value(value)
    return value
