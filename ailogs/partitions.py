"""Daily partitions of AI calls (by `timestamp`) and of their event-id keys (by the `day` received),
on PostgreSQL only; see monitoring_site.lib.partitions."""

from datetime import date

from django.conf import settings

from monitoring_site.lib.partitions import DailyPartitions

CALLS = DailyPartitions("ailogs_aicall")
EVENT_IDS = DailyPartitions("ailogs_aicalleventid", column="day", dates=True)


def ensure(today: date) -> dict[str, list[str]]:
    """Create the missing partitions: calls for the retention period and a week ahead (timestamps
    may run AILOGS_MAX_FUTURE_SECONDS ahead), event ids for the dedup window and tomorrow."""
    return {
        "ai calls": CALLS.ensure(today, settings.RETENTION_AI_LOGS_DAYS + 1, settings.AILOGS_PARTITIONS_AHEAD_DAYS),
        "ai call event ids": EVENT_IDS.ensure(today, settings.AILOGS_DEDUP_DAYS, 1),
    }
