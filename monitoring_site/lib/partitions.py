"""Daily range partitions of a raw, time-keyed table on PostgreSQL (no-ops elsewhere).

The same scheme as metrics samples (metrics/partitions.py, docs/performance.md): partitions are
created ahead by beat and dropped whole for retention, which returns the space at once with ~no
WAL, where a batched DELETE of the same rows writes hundreds of MB. A DEFAULT partition catches
rows whose day has no partition yet, so nothing is lost if beat was down; creating that day's
partition later moves them over.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction


@dataclass(frozen=True)
class DailyPartitions:
    table: str
    column: str

    @property
    def default_partition(self) -> str:
        return f"{self.table}_default"

    def is_partitioned(self) -> bool:
        if connection.vendor != "postgresql":
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = %s",
                [self.table],
            )
            return cursor.fetchone() is not None

    def name(self, day: date) -> str:
        return f"{self.table}_p{day:%Y%m%d}"

    def existing(self) -> dict[date, str]:
        """Return {day: table name} of the daily partitions attached now."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
                [self.table],
            )
            names = [row[0] for row in cursor.fetchall()]
        prefix = f"{self.table}_p"
        return {datetime.strptime(n[len(prefix) :], "%Y%m%d").date(): n for n in names if n.startswith(prefix)}

    def create(self, day: date) -> None:
        """Create the day's partition, moving any rows the DEFAULT partition holds for that day."""
        start, end = _bounds(day)
        name = connection.ops.quote_name(self.name(day))
        column = connection.ops.quote_name(self.column)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {name} (LIKE {self.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            cursor.execute(
                f"WITH moved AS (DELETE FROM {self.default_partition} WHERE {column} >= %s AND {column} < %s "  # noqa: S608
                f"RETURNING *) INSERT INTO {name} SELECT * FROM moved",
                [start, end],
            )
            cursor.execute(
                f"ALTER TABLE {self.table} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [start, end]
            )

    def ensure(self, today: date, days_back: int, days_ahead: int) -> list[str]:
        """Create the missing partitions from today - days_back to today + days_ahead; return their names."""
        if not self.is_partitioned():
            return []
        have = self.existing()
        created = []
        for offset in range(-days_back, days_ahead + 1):
            day = today + timedelta(days=offset)
            if day not in have:
                self.create(day)
                created.append(self.name(day))
        return created

    def drop_before(self, cutoff: datetime, dry_run: bool = False) -> dict[str, int]:
        """DETACH and DROP the daily partitions that end at or before cutoff; return {name: rows}."""
        if not self.is_partitioned():
            return {}
        dropped = {}
        for day, name in sorted(self.existing().items()):
            if _bounds(day)[1] > cutoff:
                continue
            quoted = connection.ops.quote_name(name)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {quoted}")  # noqa: S608
                dropped[name] = cursor.fetchone()[0]
                if not dry_run:
                    with transaction.atomic():
                        cursor.execute(f"ALTER TABLE {self.table} DETACH PARTITION {quoted}")
                        cursor.execute(f"DROP TABLE {quoted}")
        return dropped


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)
