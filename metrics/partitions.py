"""Daily partitions of the raw sample table on PostgreSQL (no-ops elsewhere); see
monitoring_site.lib.partitions for how they are created ahead and dropped for retention."""

from datetime import date, datetime

from monitoring_site.lib.partitions import DailyPartitions

TABLE = "metrics_metricsample"
SAMPLES = DailyPartitions(TABLE)
DEFAULT_PARTITION = SAMPLES.default


def is_partitioned() -> bool:
    return SAMPLES.is_partitioned()


def partition_name(day: date) -> str:
    return SAMPLES.name(day)


def existing_partitions() -> dict[date, str]:
    return SAMPLES.existing()


def create_partition(day: date) -> None:
    SAMPLES.create(day)


def ensure_partitions(today: date, days_back: int, days_ahead: int) -> list[str]:
    return SAMPLES.ensure(today, days_back, days_ahead)


def drop_partitions_before(cutoff: datetime, dry_run: bool = False) -> dict[str, int]:
    return SAMPLES.drop_before(cutoff, dry_run=dry_run)
