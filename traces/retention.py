"""Retention: spans SPANS_RETENTION_DAYS (whole daily partitions dropped on PostgreSQL, batched
deletes elsewhere). A span's uniqueness lives in its own partition, so nothing else is kept."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from monitoring_site.retention import purge_in_batches
from traces.models import Span
from traces.partitions import spans


def cutoff(now: datetime | None = None) -> datetime:
    """Day-aligned, so the cutoff falls on a partition boundary and no partition is half-deleted."""
    day = (now or timezone.now()).astimezone(UTC).date() - timedelta(days=settings.SPANS_RETENTION_DAYS)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def purge(dry_run: bool, now: datetime | None = None) -> dict[str, int]:
    moment = cutoff(now)
    dropped = spans.drop_before(moment, dry_run=dry_run)
    # on PostgreSQL only the DEFAULT partition can still hold such rows
    expired = Span.objects.filter(start_time__lt=moment)
    if dry_run:  # the count over the parent table already includes the partitions to drop
        return {"spans": expired.count()}
    result = {"spans": purge_in_batches(expired) + sum(dropped.values())}
    if dropped:
        result["span partitions"] = len(dropped)
    return result
