"""Daily partitions of the raw sample table on PostgreSQL (no-ops elsewhere).

Partitions are created ahead by beat (`ensure_partitions`) and dropped whole for retention
(`drop_partitions_before`): DETACH + DROP returns the space at once with ~no WAL, where a batched
DELETE of the same rows wrote ~720 MB of WAL (docs/performance.md). A DEFAULT partition catches
samples whose day has no partition yet, so nothing is lost if beat was down; creating that day's
partition later moves them over.
"""

from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction

TABLE = "metrics_metricsample"
DEFAULT_PARTITION = f"{TABLE}_default"


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = %s", [TABLE]
        )
        return cursor.fetchone() is not None


def partition_name(day: date) -> str:
    return f"{TABLE}_p{day:%Y%m%d}"


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def existing_partitions() -> dict[date, str]:
    """Return {day: table name} of the daily partitions attached now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [TABLE],
        )
        names = [row[0] for row in cursor.fetchall()]
    prefix = f"{TABLE}_p"
    return {datetime.strptime(n[len(prefix) :], "%Y%m%d").date(): n for n in names if n.startswith(prefix)}


def create_partition(day: date) -> None:
    """Create the day's partition, moving any rows the DEFAULT partition holds for that day."""
    start, end = _bounds(day)
    name = connection.ops.quote_name(partition_name(day))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE timestamp >= %s AND timestamp < %s RETURNING *) "  # noqa: S608
            f"INSERT INTO {name} SELECT * FROM moved",
            [start, end],
        )
        cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [start, end])


def ensure_partitions(today: date, days_back: int, days_ahead: int) -> list[str]:
    """Create the missing partitions from today - days_back to today + days_ahead; return their names."""
    if not is_partitioned():
        return []
    have = existing_partitions()
    created = []
    for offset in range(-days_back, days_ahead + 1):
        day = today + timedelta(days=offset)
        if day not in have:
            create_partition(day)
            created.append(partition_name(day))
    return created


def drop_partitions_before(cutoff: datetime, dry_run: bool = False) -> dict[str, int]:
    """DETACH and DROP the daily partitions that end at or before cutoff; return {name: rows}."""
    if not is_partitioned():
        return {}
    dropped = {}
    for day, name in sorted(existing_partitions().items()):
        if _bounds(day)[1] > cutoff:
            continue
        quoted = connection.ops.quote_name(name)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {quoted}")  # noqa: S608
            dropped[name] = cursor.fetchone()[0]
            if not dry_run:
                with transaction.atomic():
                    cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {quoted}")
                    cursor.execute(f"DROP TABLE {quoted}")
    return dropped
