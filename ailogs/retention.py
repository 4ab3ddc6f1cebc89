"""purge_expired: AI calls older than RETENTION_AI_LOGS_DAYS, and event-id keys older than the
dedup window (AILOGS_DEDUP_DAYS).

On PostgreSQL both go by dropping whole daily partitions (no DELETE, ~no WAL, the space returned
at once); elsewhere, and for rows the DEFAULT partition holds, in short DELETE batches. The
cutoffs are day-aligned so no partition is half-deleted.

Hourly rollups stay: they are small, keep long-range charts, and the Prometheus counters are
summed from them, so a purge never makes a counter go down.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ailogs import partitions
from ailogs.models import AiCall, AiCallEventId
from monitoring_site.retention import purge_in_batches


def cutoffs(now: datetime | None = None) -> tuple[datetime, datetime]:
    """(calls before this are expired, keys received before this are forgotten), both at 00:00 UTC."""
    today = (now or timezone.now()).astimezone(UTC)
    midnight = today.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=settings.RETENTION_AI_LOGS_DAYS), midnight - timedelta(
        days=settings.AILOGS_DEDUP_DAYS
    )


def expired(now: datetime | None = None):
    return AiCall.objects.filter(timestamp__lt=cutoffs(now)[0])


def purge(dry_run: bool, now: datetime | None = None) -> dict[str, int]:
    calls_cutoff, keys_cutoff = cutoffs(now)
    dropped = partitions.CALLS.drop_before(calls_cutoff, dry_run=dry_run)
    dropped_keys = partitions.EVENT_IDS.drop_before(keys_cutoff, dry_run=dry_run)
    querysets = {
        # on PostgreSQL only the DEFAULT partitions can still hold such rows
        "ai calls": AiCall.objects.filter(timestamp__lt=calls_cutoff),
        "ai call event ids": AiCallEventId.objects.filter(day__lt=keys_cutoff.date()),
    }
    if dry_run:  # the count over the parent table already includes the partitions to drop
        return {name: qs.count() for name, qs in querysets.items()}
    result = {name: purge_in_batches(qs) for name, qs in querysets.items()}
    result["ai calls"] += sum(dropped.values())
    result["ai call event ids"] += sum(dropped_keys.values())
    if dropped:
        result["ai call partitions"] = len(dropped)
    return result
