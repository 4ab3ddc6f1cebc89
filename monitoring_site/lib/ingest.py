"""Idempotent bulk insert for ingest endpoints: one COPY + one INSERT per batch on PostgreSQL.

Rows whose key (e.g. `event_id`) is already stored, or repeats inside the batch, are skipped by
the database's unique constraint (`ON CONFLICT DO NOTHING`), so two concurrent retries of the same
batch can never store an event twice. Rows with a NULL key are always inserted.

A table partitioned by time cannot carry a unique index on the key alone (it must include the
partition key), so such a model passes `key_model`: a small table whose primary key is the key.
Keys are claimed there (`ON CONFLICT DO NOTHING ... RETURNING`) in the same statement that
inserts only the rows whose key was claimed, which keeps concurrent retries exactly-once.
Inside a caller's transaction no savepoint is made (two round trips per call): a failure here
fails the caller's whole transaction, which is what every caller wants.
A key model that is itself partitioned by day (`across_partitions = True`, primary key
(key, day)) is also searched in the days it keeps before a key is claimed for today.
A time-partitioned table may instead be unique on a key that includes its partition column
(`key_field` a tuple of fields, e.g. a span's trace_id, span_id and start time): then ON CONFLICT
on that unique index needs no key table, and each partition's index stays the size of its day.
"""

import msgspec
from django.db import connection, transaction
from django.db.models import JSONField
from psycopg.types.json import Jsonb


def insert_new_rows(model, rows: list[dict], key_field: str | tuple[str, ...] = "event_id", key_model=None) -> int:
    """Insert rows (dicts of column attname -> value); return how many were actually inserted.

    `key_field` names the field (or the tuple of fields) of a unique constraint on `model`. With
    `key_model`, key uniqueness is enforced by that model's primary key (named key_field) instead.
    """
    if not rows:
        return 0
    if key_model is not None:
        rows = _first_per_key(rows, key_field)
    if connection.vendor == "postgresql":
        return _insert_postgres(model, rows, key_field, key_model)
    return _insert_generic(model, rows, key_field, key_model)


def _key(row: dict, key_field: str | tuple[str, ...]):
    """The row's key: one value, or a tuple of values (None when one of them is missing)."""
    if type(key_field) is str:
        return row.get(key_field)
    key = tuple(row.get(name) for name in key_field)
    return None if None in key else key


def _first_per_key(rows: list[dict], key_field) -> list[dict]:
    seen: set = set()
    kept = []
    for row in rows:
        key = _key(row, key_field)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        kept.append(row)
    return kept


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


_JSON = msgspec.json.Encoder()


def _copy(cursor, model, table: str, quoted: str, attnames: list[str], rows: list[dict]) -> None:
    # Only JSON columns need converting; checking every value costs ~10 % of the COPY. COPY's
    # text format takes a JSON column as its text, so msgspec writes it (3-5x json.dumps), and
    # a value that many rows share (a span's resource attributes) is written once per batch.
    json_columns = [i for i, a in enumerate(attnames) if isinstance(model._meta.get_field(a), JSONField)]
    written: dict[int, str] = {}  # id() of a value -> its JSON; every row stays alive meanwhile
    with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            values = [row[a] for a in attnames]
            for i in json_columns:
                value = values[i]
                if value is not None:
                    text = written.get(id(value))
                    if text is None:
                        text = written[id(value)] = _JSON.encode(value).decode()
                    values[i] = text
            copy.write_row(values)


def _insert_postgres(model, rows: list[dict], key_field, key_model=None) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    attnames = _columns(model, rows)
    quoted = ", ".join(connection.ops.quote_name(model._meta.get_field(a).column) for a in attnames)
    if key_model is None and len(rows) <= SMALL_BATCH:
        values = ", ".join(["(" + ", ".join(["%s"] * len(attnames)) + ")"] * len(rows))
        params = [_adapt(row[a]) for row in rows for a in attnames]
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({quoted}) VALUES {values} {_on_conflict(model, key_field)}", params)  # noqa: S608
            return cursor.rowcount
    if key_model is not None and len(rows) <= SMALL_BATCH:
        # The same claim as below, from a VALUES list instead of a staged COPY: one round trip.
        # Casts, because CTE values are otherwise typed text (a NULL cost would not insert).
        casts = [model._meta.get_field(a).db_type(connection) for a in attnames]
        row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
        stage = f"(VALUES {', '.join([row_sql] * len(rows))}) AS s ({quoted})"
        params = [_adapt(row[a]) for row in rows for a in attnames]
        key_column = connection.ops.quote_name(model._meta.get_field(key_field).column)
        with connection.cursor() as cursor:
            cursor.execute(_claim_keys_sql(table, quoted, stage, key_column, key_model, inline=True), params)
            return cursor.rowcount
    if key_model is not None:
        # Claim the keys first (one INSERT of an array), then COPY only the rows whose key was
        # claimed, or that have none, straight into the table: no stage table, no second pass
        # over the rows in the database. The claimed keys' index entries stay locked until the
        # commit, so a concurrent copy of the batch waits there and then finds them taken.
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            keys = [row[key_field] for row in rows if row.get(key_field) is not None]
            if keys:
                cursor.execute(_claim_array_sql(model, key_field, key_model), [keys])
                claimed = {key for (key,) in cursor.fetchall()}
                rows = [row for row in rows if row.get(key_field) is None or row[key_field] in claimed]
            if rows:
                _copy(cursor, model, table, quoted, attnames, rows)
        return len(rows)
    stage = connection.ops.quote_name(f"_stage_{model._meta.db_table}")
    nested = connection.in_atomic_block
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # Created once per connection (persistent connections), emptied at every commit.
        # INCLUDING IDENTITY: Django's auto ids are identity columns; without it the stage's
        # copy of the NOT NULL id column rejects every row (the real id is assigned on INSERT).
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} "  # noqa: S608 (names come from model meta)
            f"(LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY) ON COMMIT DELETE ROWS"
        )
        if nested:
            # Inside an outer transaction ON COMMIT has not emptied the stage since the last call.
            cursor.execute(f"TRUNCATE {stage}")
        _copy(cursor, model, stage, quoted, attnames, rows)
        conflict = _on_conflict(model, key_field)
        cursor.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {stage} {conflict}")  # noqa: S608
        return cursor.rowcount


def _claim_array_sql(model, key_field: str, key_model) -> str:
    keys = connection.ops.quote_name(key_model._meta.db_table)
    key_column = connection.ops.quote_name(model._meta.get_field(key_field).column)
    key_type = key_model._meta.get_field(key_field).db_type(connection)
    # OFFSET 0 keeps NOT EXISTS a per-key index probe (the planner may not turn it into a join).
    # As a join, the planner hashed every stored key for each batch whenever the day's partition
    # had no fresh statistics (autovacuum off or behind): 315 ms per batch over 1M keys.
    earlier = (
        f"WHERE NOT EXISTS (SELECT 1 FROM {keys} k WHERE k.{key_column} = s.key OFFSET 0) "  # noqa: S608
        if getattr(key_model, "across_partitions", False)
        else ""
    )
    return (
        f"INSERT INTO {keys} ({key_column}) SELECT s.key FROM unnest(%s::{key_type}[]) AS s (key) "  # noqa: S608
        f"{earlier}ON CONFLICT DO NOTHING RETURNING {key_column}"
    )


def _on_conflict(model, key_field) -> str:
    if type(key_field) is not str:
        columns = ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in key_field)
        return f"ON CONFLICT ({columns}) DO NOTHING"
    key_column = connection.ops.quote_name(model._meta.get_field(key_field).column)
    if _partial_unique(model, key_field):
        return f"ON CONFLICT ({key_column}) WHERE {key_column} IS NOT NULL DO NOTHING"
    return f"ON CONFLICT ({key_column}) DO NOTHING"


def _claim_keys_sql(table: str, quoted: str, stage: str, key_column: str, key_model, inline: bool = False) -> str:
    """INSERT the rows of `stage` (a table, or with `inline` a VALUES list aliased `s`) whose key
    is new or NULL, claiming their keys in the same statement."""
    keys = connection.ops.quote_name(key_model._meta.db_table)
    rows = f"WITH s AS (SELECT * FROM {stage}), " if inline else "WITH "  # noqa: S608
    # ON CONFLICT sees only today's partition of a day-partitioned key table; earlier days are
    # searched here (a concurrent copy is still caught by today's unique index); OFFSET 0 as in
    # _claim_array_sql.
    earlier = (
        f"AND NOT EXISTS (SELECT 1 FROM {keys} k WHERE k.{key_column} = s.{key_column} OFFSET 0) "  # noqa: S608
        if getattr(key_model, "across_partitions", False)
        else ""
    )
    data = "s" if inline else stage
    return (
        f"{rows}claimed AS (INSERT INTO {keys} ({key_column}) "  # noqa: S608
        f"SELECT s.{key_column} FROM {data} s WHERE s.{key_column} IS NOT NULL {earlier}"
        f"ON CONFLICT DO NOTHING RETURNING {key_column}) "
        f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {data} "
        f"WHERE {key_column} IS NULL OR {key_column} IN (SELECT {key_column} FROM claimed)"
    )


def _partial_unique(model, key_field: str) -> bool:
    """True when the key is unique through a conditional UniqueConstraint (`... WHERE key IS NOT NULL`)."""
    for constraint in model._meta.constraints:
        if getattr(constraint, "fields", None) == (key_field,) and getattr(constraint, "condition", None) is not None:
            return True
    return False


def _insert_generic(model, rows: list[dict], key_field, key_model=None) -> int:
    with transaction.atomic(savepoint=False):
        store = key_model or model
        rows = _first_per_key(rows, key_field)
        if type(key_field) is str:
            keys = [row[key_field] for row in rows if row.get(key_field) is not None]
            stored = set(store._base_manager.filter(**{f"{key_field}__in": keys}).values_list(key_field, flat=True))
        else:  # found by the first field (the unique index's leading column), compared whole here
            first = key_field[0]
            candidates = store._base_manager.filter(**{f"{first}__in": {row[first] for row in rows}})
            stored = set(candidates.values_list(*key_field))
        fresh = [model(**row) for row in rows if _key(row, key_field) not in stored]
        if key_model is not None:
            claimed = [
                key_model(**{key_field: getattr(obj, key_field)})
                for obj in fresh
                if getattr(obj, key_field) is not None
            ]
            key_model._base_manager.bulk_create(claimed, batch_size=500)
        model._base_manager.bulk_create(fresh, batch_size=500)
        return len(fresh)
