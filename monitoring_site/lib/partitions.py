"""Daily range partitions of a high-volume table on PostgreSQL (no-ops elsewhere).

Partitions are created ahead by beat (`ensure`) and dropped whole for retention (`drop_before`):
DETACH + DROP returns the space at once with ~no WAL, where a batched DELETE of the same rows
wrote ~720 MB of WAL (docs/performance.md). A DEFAULT partition catches rows whose day has no
partition yet, so nothing is lost if beat was down; creating that day's partition later moves
them over. Used by metric samples (on `timestamp`), AI calls (on `timestamp`) and the AI-call
event-id keys (on the `day` they were received).
"""

from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction


class DailyPartitions:
    """The daily partitions of `table`, range-partitioned on `column` (a timestamptz or a date)."""

    def __init__(self, table: str, column: str = "timestamp", dates: bool = False) -> None:
        self.table = table
        self.column = column
        self.dates = dates  # the partition key is a date column, not a timestamptz
        self.default = f"{table}_default"

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

    def bounds(self, day: date) -> tuple:
        if self.dates:
            return day, day + timedelta(days=1)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return start, start + timedelta(days=1)

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
        start, end = self.bounds(day)
        name = connection.ops.quote_name(self.name(day))
        column = connection.ops.quote_name(self.column)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {name} (LIKE {self.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            cursor.execute(
                f"WITH moved AS (DELETE FROM {self.default} WHERE {column} >= %s AND {column} < %s RETURNING *) "  # noqa: S608
                f"INSERT INTO {name} SELECT * FROM moved",
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
        """DETACH and DROP the daily partitions that end at or before cutoff; return {name: rows}.

        All of them are detached in one short transaction, so the parent's exclusive lock, which
        makes ingest wait, is taken once, not once per day; the DROPs come after, outside it.
        (DETACH ... CONCURRENTLY would avoid that lock, but PostgreSQL refuses it next to a DEFAULT
        partition.) Row counts of analysed partitions are the planner's estimate: counting
        millions of rows exactly took longer than dropping them.
        """
        if not self.is_partitioned():
            return {}
        expired = []
        for day, name in sorted(self.existing().items()):
            end = day + timedelta(days=1)
            if datetime(end.year, end.month, end.day, tzinfo=UTC) <= cutoff:
                expired.append(name)
        dropped = {name: self._rows(name) for name in expired}
        if dry_run or not expired:
            return dropped
        with transaction.atomic(), connection.cursor() as cursor:
            for name in expired:
                cursor.execute(f"ALTER TABLE {self.table} DETACH PARTITION {connection.ops.quote_name(name)}")
        for name in expired:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {connection.ops.quote_name(name)}")
        return dropped

    def _rows(self, name: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [name])
            estimate = cursor.fetchone()[0]
            if estimate >= 0:  # -1: never analysed (e.g. small or new); then count
                return estimate
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608
            return cursor.fetchone()[0]
