"""Metric samples (raw, partitioned by day on PostgreSQL), their hourly/daily rollups, and the
per-minute request aggregates that the instrumentation middleware flushes.
"""

import hashlib
import json

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


def canonical_tags(tags: dict | None) -> dict:
    """Tags with sorted keys, so equal tag sets compare and group equally on every backend."""
    return dict(sorted((tags or {}).items()))


def tags_hash(tags: dict | None) -> str:
    return hashlib.sha1(json.dumps(canonical_tags(tags), separators=(",", ":")).encode()).hexdigest()  # noqa: S324


class MetricType(models.TextChoices):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"
    SUMMARY = "summary"


class Period(models.TextChoices):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"


class MetricSample(models.Model):
    """One raw sample. On PostgreSQL the table is partitioned by day on `timestamp`
    (migration 0002), so its primary key is (id, timestamp) and event_id uniqueness lives in
    MetricEventId."""

    name = models.CharField(max_length=200)
    type = models.CharField(max_length=16, choices=MetricType.choices, default=MetricType.GAUGE)
    value = models.FloatField()
    unit = models.CharField(max_length=32, blank=True, default="")
    tags = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=100, blank=True, default="")
    route = models.CharField(max_length=200, blank=True, default="")
    timestamp = models.DateTimeField(default=timezone.now)
    event_id = models.UUIDField(null=True, blank=True)

    class Meta:
        indexes = [
            # every summary/aggregate query: one name over a time window
            # (no other index: each one roughly halves COPY speed; retention drops partitions)
            models.Index(fields=["name", "timestamp"], name="metrics_sample_name_ts"),
        ]

    def __str__(self) -> str:
        return f"{self.name}={self.value} @ {self.timestamp:%Y-%m-%d %H:%M:%S}"


class MetricEventId(models.Model):
    """event_ids already stored: the partitioned sample table cannot hold a unique index on
    event_id alone (it would have to include the partition key), so this small table does."""

    event_id = models.UUIDField(primary_key=True)
    created_at = models.DateTimeField(db_default=Now(), db_index=True)

    def __str__(self) -> str:
        return str(self.event_id)


class MetricRollup(models.Model):
    """Aggregates of one metric name and tag set over one hour or one day.

    p50/p95/p99 are exact for the bucket; `histogram` (LogHistogram JSON) merges across buckets
    for longer windows within 1 %.
    """

    period = models.CharField(max_length=8, choices=Period.choices, default=Period.HOUR)
    bucket = models.DateTimeField(help_text="Start of the hour or day (UTC).")
    name = models.CharField(max_length=200)
    tags = models.JSONField(default=dict, blank=True)
    tags_hash = models.CharField(max_length=40)
    count = models.BigIntegerField()
    sum = models.FloatField()
    min = models.FloatField()
    max = models.FloatField()
    p50 = models.FloatField(null=True)
    p95 = models.FloatField(null=True)
    p99 = models.FloatField(null=True)
    histogram = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "name", "tags_hash", "bucket"], name="metrics_rollup_unique")
        ]
        indexes = [
            # long-window summaries: one name, one period, a bucket range
            models.Index(fields=["name", "period", "bucket"], name="metrics_rollup_name_bucket"),
            # rollup re-runs replace whole buckets; retention by bucket
            models.Index(fields=["period", "bucket"], name="metrics_rollup_bucket"),
        ]
        ordering = ["-bucket"]

    def __str__(self) -> str:
        return f"{self.name} {self.period} {self.bucket:%Y-%m-%d %H:00}"


class RollupBucket(models.Model):
    """Marks an hour or day as rolled up, for every metric: summaries read rollups only for
    buckets listed here and raw rows for the rest of a window."""

    period = models.CharField(max_length=8, choices=Period.choices)
    bucket = models.DateTimeField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["period", "bucket"], name="metrics_rollupbucket_unique")]

    def __str__(self) -> str:
        return f"{self.period} {self.bucket:%Y-%m-%d %H:00}"


class RequestMinute(models.Model):
    """This site's own requests, aggregated in a web process for one minute and flushed.

    Several processes write rows for the same minute and route; readers sum them.
    """

    minute = models.DateTimeField()
    route = models.CharField(max_length=200, help_text="Resolved URL pattern, not the raw path.")
    method = models.CharField(max_length=8)
    status_class = models.CharField(max_length=4, help_text="1xx..5xx; 429 counted on its own.")
    count = models.PositiveIntegerField()
    duration_sum_ms = models.FloatField()
    duration_min_ms = models.FloatField()
    duration_max_ms = models.FloatField()
    histogram = models.JSONField(default=dict)
    process = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [
            # http_summary windows and the rollup of an hour; retention
            models.Index(fields=["minute"], name="metrics_reqmin_minute"),
            models.Index(fields=["route", "minute"], name="metrics_reqmin_route_minute"),
        ]
        ordering = ["-minute"]

    def __str__(self) -> str:
        return f"{self.method} {self.route} {self.status_class} x{self.count} @ {self.minute:%H:%M}"
