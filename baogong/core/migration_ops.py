"""A migration operation that takes single-column indexes off a table without rebuilding anything.

Used by migrations (issue 25: the ledger's redundant indexes); keep its behaviour as it is, the
migrations that ran with it must do the same again on a new database.

Setting ``db_index=False`` on a field (and moving an exact index to ``Meta.indexes``) is, left to
Django's ``AlterField``, a whole-table copy on SQLite — which also loses the table's triggers (the
append-only ledger and audit log) — and on PostgreSQL a new index built while writes wait. This
operation gives the migration the same model state (``state_operations``: the generated
``AlterField`` / ``AddIndex``) and does only this in the database:

* ``drop``: fields whose own index (from ``db_index=True``) goes, because a composite index leads
  with the same column;
* ``keep``: CharFields whose exact index stays under a new name (``ALTER INDEX … RENAME``; drop and
  create where the database cannot rename) and whose ``varchar_pattern_ops`` twin — PostgreSQL's
  ``_like`` index for prefix ``LIKE``, which no query uses — goes.

Reversible: backwards renames back and builds the dropped indexes again, under Django's names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import migrations, models


def _auto_name(schema_editor: Any, model: Any, column: str, suffix: str = "") -> str:
    """The name Django gave the index of ``db_index=True`` (and its ``_like`` twin)."""
    return str(schema_editor._create_index_name(model._meta.db_table, [column], suffix=suffix))


def fewer_field_indexes(
    app_label: str,
    model_name: str,
    *,
    drop: Iterable[str] = (),
    keep: Mapping[str, str] | None = None,
    state_operations: Sequence[migrations.operations.base.Operation],
) -> migrations.SeparateDatabaseAndState:
    dropped = list(drop)
    kept = dict(keep or {})

    def forward(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        postgres = schema_editor.connection.vendor == "postgresql"
        for name in dropped:
            column = model._meta.get_field(name).column
            schema_editor.remove_index(
                model, models.Index(fields=[name], name=_auto_name(schema_editor, model, column))
            )
        for name, new_name in kept.items():
            column = model._meta.get_field(name).column
            old = models.Index(fields=[name], name=_auto_name(schema_editor, model, column))
            schema_editor.rename_index(model, old, models.Index(fields=[name], name=new_name))
            if postgres:
                like = _auto_name(schema_editor, model, column, "_like")
                schema_editor.remove_index(model, models.Index(fields=[name], name=like))

    def backward(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        postgres = schema_editor.connection.vendor == "postgresql"
        for name, new_name in kept.items():
            column = model._meta.get_field(name).column
            old = models.Index(fields=[name], name=_auto_name(schema_editor, model, column))
            schema_editor.rename_index(model, models.Index(fields=[name], name=new_name), old)
            if postgres:
                like = _auto_name(schema_editor, model, column, "_like")
                schema_editor.add_index(
                    model, models.Index(fields=[name], name=like, opclasses=["varchar_pattern_ops"])
                )
        for name in dropped:
            column = model._meta.get_field(name).column
            schema_editor.add_index(model, models.Index(fields=[name], name=_auto_name(schema_editor, model, column)))

    return migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunPython(forward, backward)], state_operations=list(state_operations)
    )
