"""Relative updates of many rows at once: ``column = column + n`` for each (id, n), one statement
per 500 rows, like an ``F()`` increment per row (the rows' current values are never read). For the
bulk actions (a day's shipments planned or delivered) that would otherwise send one ``UPDATE`` per
row. The caller holds the rows' locks (the one lock order) and checks the answer: the rows changed."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models

CHUNK = 500


def add_to(model: type[models.Model], field: str, increments: Sequence[tuple[int, int]]) -> int:
    """``field = field + n`` for every ``(id, n)`` of ``increments`` (ids distinct); answers how many
    rows were changed (``len(increments)`` when every id exists)."""
    table = model._meta.db_table
    column = model._meta.get_field(field).column  # type: ignore[union-attr]
    pk = model._meta.pk.column
    changed = 0
    for start in range(0, len(increments), CHUNK):
        chunk = increments[start : start + CHUNK]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        sql = (
            f'UPDATE "{table}" SET "{column}" = "{table}"."{column}" + v.n '  # noqa: S608 - identifiers from the model
            f"FROM (SELECT column1 AS rid, column2 AS n FROM (VALUES {values}) AS vv) AS v "
            f'WHERE "{table}"."{pk}" = v.rid'
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for pair in chunk for value in pair])
            changed += cursor.rowcount
    return changed
