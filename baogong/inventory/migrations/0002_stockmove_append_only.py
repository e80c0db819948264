"""Make the ledger append-only in the database itself (invariant 1).

PostgreSQL: a row trigger refuses UPDATE and DELETE on inventory_stockmove (TRUNCATE, used only
by test-suite flushes and restores, is a table-level statement and is not affected).
SQLite: UPDATE is refused; DELETE is refused while any balance exists, so the test runner's
flush (which empties inventory_stockbalance first) still works but no live move can be removed.
"""

from typing import Any

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION inventory_stockmove_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'inventory_stockmove is append-only: post a reversing move instead';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER inventory_stockmove_no_update BEFORE UPDATE OR DELETE ON inventory_stockmove
    FOR EACH ROW EXECUTE FUNCTION inventory_stockmove_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS inventory_stockmove_no_update ON inventory_stockmove;
DROP FUNCTION IF EXISTS inventory_stockmove_append_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER inventory_stockmove_no_update BEFORE UPDATE ON inventory_stockmove
       BEGIN SELECT RAISE(ABORT, 'inventory_stockmove is append-only: post a reversing move instead'); END;""",
    """CREATE TRIGGER inventory_stockmove_no_delete BEFORE DELETE ON inventory_stockmove
       WHEN EXISTS (SELECT 1 FROM inventory_stockbalance)
       BEGIN SELECT RAISE(ABORT, 'inventory_stockmove is append-only: post a reversing move instead'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS inventory_stockmove_no_update;",
    "DROP TRIGGER IF EXISTS inventory_stockmove_no_delete;",
]


def forward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
