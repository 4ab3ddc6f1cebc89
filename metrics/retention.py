"""Retention: raw samples and request minutes RETENTION_METRIC_SAMPLES_DAYS (whole daily
partitions dropped on PostgreSQL, batched deletes elsewhere), rollups RETENTION_METRIC_ROLLUPS_DAYS."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from metrics import partitions, windows
from metrics.models import MetricEventId, MetricRollup, MetricSample, RequestMinute, RollupBucket
from monitoring_site.retention import purge_in_batches


def cutoffs(now=None) -> tuple:
    """Day-aligned, so the raw cutoff falls on a partition boundary and no partition is half-deleted."""
    today = windows.floor(now or timezone.now(), "day")
    return today - timedelta(days=settings.RETENTION_METRIC_SAMPLES_DAYS), today - timedelta(
        days=settings.RETENTION_METRIC_ROLLUPS_DAYS
    )


def purge(dry_run: bool, now=None) -> dict[str, int]:
    raw_cutoff, rollup_cutoff = cutoffs(now)
    dropped = partitions.drop_partitions_before(raw_cutoff, dry_run=dry_run)
    querysets = {
        # on PostgreSQL only the DEFAULT partition can still hold such rows
        "metric samples": MetricSample.objects.filter(timestamp__lt=raw_cutoff),
        "metric event ids": MetricEventId.objects.filter(created_at__lt=raw_cutoff),
        "request minutes": RequestMinute.objects.filter(minute__lt=raw_cutoff),
        "metric rollups": MetricRollup.objects.filter(bucket__lt=rollup_cutoff),
        "rollup buckets": RollupBucket.objects.filter(bucket__lt=rollup_cutoff),
    }
    if dry_run:  # the count over the parent table already includes the partitions to drop
        return {name: qs.count() for name, qs in querysets.items()} | (
            {"metric sample partitions": len(dropped)} if dropped else {}
        )
    result = {name: purge_in_batches(qs) for name, qs in querysets.items()}
    result["metric samples"] += sum(dropped.values())
    if dropped:
        result["metric sample partitions"] = len(dropped)
    return result
