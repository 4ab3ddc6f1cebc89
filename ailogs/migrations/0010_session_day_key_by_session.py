"""The session rows' key begins with the day, then the session id, and the (session_id, day) index
goes: the rows of a few sessions are looked up day by day through the key (ailogs.queries.
_session_days_of), and a rollup appends a day's rows to the one index instead of spreading them
over every page of a second one (3 s of a 30 s backfill of 5M calls).

Session rows are kept after retention purges the raw calls, so the table only grows. On PostgreSQL
the new key's index is built CONCURRENTLY (reads and the rollup go on meanwhile) and then becomes
the constraint, in one short transaction with dropping the old one; the old index is dropped
CONCURRENTLY. Elsewhere (SQLite) the usual operations do it.
"""

from django.db import migrations, models, transaction

TABLE = "ailogs_aicallsessionday"
OLD_KEY = models.UniqueConstraint(fields=("day", "tenant", "session_id", "user_id"), name="ailogs_session_day_key")
NEW_KEY = models.UniqueConstraint(fields=("day", "session_id", "tenant", "user_id"), name="ailogs_session_day_key")
OLD_INDEX = models.Index(fields=["session_id", "day"], name="ailogs_session_day_session")


class _ElsewhereOnly:
    """The operation's schema change everywhere but on PostgreSQL (its state change everywhere)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class RemoveConstraintElsewhere(_ElsewhereOnly, migrations.RemoveConstraint):
    pass


class RemoveIndexElsewhere(_ElsewhereOnly, migrations.RemoveIndex):
    pass


class AddConstraintElsewhere(_ElsewhereOnly, migrations.AddConstraint):
    pass


def _columns(fields) -> str:
    return ", ".join(f'"{field}"' for field in fields)


def _swap_keys(schema_editor, before: models.UniqueConstraint, after: models.UniqueConstraint) -> None:
    execute = schema_editor.execute
    execute("DROP INDEX CONCURRENTLY IF EXISTS ailogs_session_day_key_next")  # left by a run stopped halfway
    execute(f"CREATE UNIQUE INDEX CONCURRENTLY ailogs_session_day_key_next ON {TABLE} ({_columns(after.fields)})")
    with transaction.atomic(using=schema_editor.connection.alias):  # never a moment without a key
        execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {before.name}")
        execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {after.name} UNIQUE USING INDEX ailogs_session_day_key_next")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _swap_keys(schema_editor, OLD_KEY, NEW_KEY)
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {OLD_INDEX.name}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {OLD_INDEX.name} ON {TABLE} ({_columns(OLD_INDEX.fields)})"
        )
        _swap_keys(schema_editor, NEW_KEY, OLD_KEY)


class Migration(migrations.Migration):
    atomic = False  # CREATE / DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("ailogs", "0009_error_days_per_tenant"),
    ]

    operations = [
        RemoveConstraintElsewhere(model_name="aicallsessionday", name="ailogs_session_day_key"),
        RemoveIndexElsewhere(model_name="aicallsessionday", name="ailogs_session_day_session"),
        AddConstraintElsewhere(model_name="aicallsessionday", constraint=NEW_KEY),
        migrations.RunPython(forwards, backwards),
    ]
