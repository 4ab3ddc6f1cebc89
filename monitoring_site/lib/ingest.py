"""Idempotent bulk insert for ingest endpoints: one COPY + one INSERT per batch on PostgreSQL.

Rows whose key (e.g. `event_id`) is already stored, or repeats inside the batch, are skipped by
the database's unique constraint (`ON CONFLICT DO NOTHING`), so two concurrent retries of the same
batch can never store an event twice. Rows with a NULL key are always inserted.
"""

from django.db import connection, transaction
from django.db.models import JSONField
from psycopg.types.json import Jsonb


def insert_new_rows(model, rows: list[dict], key_field: str = "event_id") -> int:
    """Insert rows (dicts of column attname -> value); return how many were actually inserted."""
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        return _insert_postgres(model, rows, key_field)
    return _insert_generic(model, rows, key_field)


def _columns(model, rows: list[dict]) -> list[str]:
    names = {f.attname: f.column for f in model._meta.concrete_fields}
    keys = list(rows[0])
    unknown = [k for k in keys if k not in names]
    if unknown:
        raise ValueError(f"unknown columns for {model.__name__}: {unknown}")
    return keys


def _adapt(value):
    return Jsonb(value) if isinstance(value, (dict, list)) else value


# Up to this many rows, one INSERT ... VALUES statement (a single round trip in autocommit) beats
# temp table + COPY + INSERT + COMMIT: it is what makes one-event-per-request ingest fast.
SMALL_BATCH = 20


def _insert_postgres(model, rows: list[dict], key_field: str) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    attnames = _columns(model, rows)
    quoted = ", ".join(connection.ops.quote_name(model._meta.get_field(a).column) for a in attnames)
    conflict = _on_conflict(model, key_field)
    if len(rows) <= SMALL_BATCH:
        values = ", ".join(["(" + ", ".join(["%s"] * len(attnames)) + ")"] * len(rows))
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({quoted}) VALUES {values} {conflict}", [_adapt(row[a]) for row in rows for a in attnames])  # noqa: S608
            return cursor.rowcount
    stage = connection.ops.quote_name(f"_stage_{model._meta.db_table}")
    with transaction.atomic(), connection.cursor() as cursor:
        # Created once per connection (persistent connections), emptied at every commit.
        # INCLUDING IDENTITY: Django's auto ids are identity columns; without it the stage's
        # copy of the NOT NULL id column rejects every row (the real id is assigned on INSERT).
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} "  # noqa: S608 (names come from model meta)
            f"(LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY) ON COMMIT DELETE ROWS"
        )
        # Only JSON columns need the Jsonb wrapper; checking every value costs ~10 % of the COPY.
        json_columns = [i for i, a in enumerate(attnames) if isinstance(model._meta.get_field(a), JSONField)]
        with cursor.cursor.copy(f"COPY {stage} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                values = [row[a] for a in attnames]
                for i in json_columns:
                    values[i] = _adapt(values[i])
                copy.write_row(values)
        cursor.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {stage} {conflict}")  # noqa: S608
        return cursor.rowcount


def _on_conflict(model, key_field: str) -> str:
    key_column = connection.ops.quote_name(model._meta.get_field(key_field).column)
    if _partial_unique(model, key_field):
        return f"ON CONFLICT ({key_column}) WHERE {key_column} IS NOT NULL DO NOTHING"
    return f"ON CONFLICT ({key_column}) DO NOTHING"


def _partial_unique(model, key_field: str) -> bool:
    """True when the key is unique through a conditional UniqueConstraint (`... WHERE key IS NOT NULL`)."""
    for constraint in model._meta.constraints:
        if getattr(constraint, "fields", None) == (key_field,) and getattr(constraint, "condition", None) is not None:
            return True
    return False


def _insert_generic(model, rows: list[dict], key_field: str) -> int:
    with transaction.atomic():
        keys = [row[key_field] for row in rows if row.get(key_field) is not None]
        seen = set(model._base_manager.filter(**{f"{key_field}__in": keys}).values_list(key_field, flat=True))
        fresh = []
        for row in rows:
            key = row.get(key_field)
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            fresh.append(model(**row))
        model._base_manager.bulk_create(fresh, batch_size=500)
        return len(fresh)
