"""Make the audit log append-only in the database itself (invariant 4), like the ledger.

UPDATE and DELETE of core_auditevent are refused on both databases, with one exception: the
foreign keys ``actor_id`` and ``object_type_id`` may be set to NULL, which is what deleting a
user or a content type does (``on_delete=SET_NULL``; ``actor_label`` and ``object_repr`` keep the
names). Nothing else about an event can change.

PostgreSQL: a row trigger. TRUNCATE (test-suite flushes) and DROP TABLE (``pg_restore --clean``)
are not row statements and are not affected.
SQLite: two triggers; the test suite drops them around its flush (DELETE FROM every table; see
the root conftest.py), ``baogong restore`` copies pages with the backup API and fires none.
"""

from typing import Any

from django.db import migrations

MESSAGE = "core_auditevent is append-only: audit events are never changed or deleted"
# Every column but the two nullable foreign keys (SQLite has no row-to-JSON to compare whole rows).
FIXED_COLUMNS = [
    "id",
    "at",
    "actor_label",
    "verb",
    "object_id",
    "object_repr",
    "before",
    "after",
    "request_id",
    "organisation_id",
    "site_id",
]

PG_FORWARD = f"""
CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'actor_id' - 'object_type_id') = (to_jsonb(OLD) - 'actor_id' - 'object_type_id')
       AND (NEW.actor_id IS NULL OR NEW.actor_id = OLD.actor_id)
       AND (NEW.object_type_id IS NULL OR NEW.object_type_id = OLD.object_type_id) THEN
        RETURN NEW;  -- a user or content type deleted (on_delete=SET_NULL)
    END IF;
    RAISE EXCEPTION '{MESSAGE}';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS core_auditevent_append_only();
"""
_UNCHANGED = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in FIXED_COLUMNS)
SQLITE_FORWARD = [
    f"""CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
       WHEN NOT ({_UNCHANGED}
                 AND (NEW.actor_id IS NULL OR NEW.actor_id IS OLD.actor_id)
                 AND (NEW.object_type_id IS NULL OR NEW.object_type_id IS OLD.object_type_id))
       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete;",
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
    dependencies = [("core", "0002_notification")]
    operations = [migrations.RunPython(forward, backward)]
