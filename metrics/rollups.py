"""Hourly and daily rollups: per metric name and tag set, count/sum/min/max, p50/p95/p99 and a
mergeable LogHistogram. Re-running an hour replaces it (idempotent), so beat can recompute the
last few hours each run and pick up late samples.
"""

import json
from collections import defaultdict
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Count

from metrics import windows
from metrics.models import MetricRollup, MetricSample, Period, RequestMinute, RollupBucket, tags_hash
from metrics.stats import _BUCKET_COLUMNS, HTTP_METRIC, add_bucket
from monitoring_site.lib.histogram import _LOG_GAMMA, _MIN_MAGNITUDE, LogHistogram
from monitoring_site.lib.percentiles import interpolate

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _rollup(period: str, bucket, name: str, tags: dict, count, total, low, high, histogram, quantiles) -> MetricRollup:
    return MetricRollup(
        period=period,
        bucket=bucket,
        name=name,
        tags=tags,
        tags_hash=tags_hash(tags),
        count=count,
        sum=total,
        min=low,
        max=high,
        p50=quantiles[0],
        p95=quantiles[1],
        p99=quantiles[2],
        histogram=histogram.to_json(),
    )


def _sample_rollups(hour) -> list[MetricRollup]:
    if connection.vendor == "postgresql":
        return _sample_rollups_sql(hour)
    groups: dict[tuple, list[float]] = defaultdict(list)
    tag_sets: dict[tuple, dict] = {}
    samples = MetricSample.objects.filter(timestamp__gte=hour, timestamp__lt=hour + HOUR).order_by()
    for name, tags, value in samples.values_list("name", "tags", "value").iterator(chunk_size=20_000):
        key = (name, tags_hash(tags))
        groups[key].append(value)
        tag_sets[key] = tags
    rollups = []
    for (name, digest), values in groups.items():
        values.sort()
        quantiles = [interpolate(values, q) for q in (0.5, 0.95, 0.99)]
        rollups.append(
            _rollup(
                Period.HOUR,
                hour,
                name,
                tag_sets[(name, digest)],
                len(values),
                sum(values),
                values[0],
                values[-1],
                LogHistogram.of(values),
                quantiles,
            )
        )
    return rollups


_GROUPED = (
    "SELECT name, tags, count(*), sum(value), min(value), max(value), "
    "percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY value) "
    "FROM metrics_metricsample WHERE timestamp >= %s AND timestamp < %s GROUP BY name, tags"
)
_BUCKETED = (
    f"SELECT name, tags, {_BUCKET_COLUMNS} FROM metrics_metricsample "  # noqa: S608 (constant SQL)
    "WHERE timestamp >= %s AND timestamp < %s GROUP BY name, tags, 3, 4"
)


def _sample_rollups_sql(hour) -> list[MetricRollup]:
    """The same in two grouped queries inside PostgreSQL (no raw rows travel to Python)."""
    with connection.cursor() as cursor:
        cursor.execute(_BUCKETED, [_MIN_MAGNITUDE, _MIN_MAGNITUDE, _LOG_GAMMA, hour, hour + HOUR])
        histograms: dict[tuple, LogHistogram] = defaultdict(LogHistogram)
        for name, tags, sign, index, count in cursor.fetchall():
            add_bucket(histograms[(name, tags_hash(_json(tags)))], sign, index, count)
        cursor.execute(_GROUPED, [hour, hour + HOUR])
        rows = cursor.fetchall()
    return [
        _rollup(
            Period.HOUR,
            hour,
            name,
            _json(tags),
            count,
            total,
            low,
            high,
            histograms[(name, tags_hash(_json(tags)))],
            quantiles,
        )
        for name, tags, count, total, low, high, quantiles in rows
    ]


def _json(value) -> dict:
    return json.loads(value) if isinstance(value, str) else value


def _request_rollups(hour) -> list[MetricRollup]:
    """This site's requests become the metric `http_request_duration_ms` tagged route/method/status_class."""
    merged: dict[tuple, list] = {}
    minutes = RequestMinute.objects.filter(minute__gte=hour, minute__lt=hour + HOUR)
    for row in minutes.values_list(
        "route", "method", "status_class", "count", "duration_sum_ms", "duration_min_ms", "duration_max_ms", "histogram"
    ):
        _merge_into(merged, row[:3], row[3:7], LogHistogram.from_json(row[7]))
    return [
        _from_merged(Period.HOUR, hour, HTTP_METRIC, {"method": k[1], "route": k[0], "status_class": k[2]}, v)
        for k, v in merged.items()
    ]


def _merge_into(merged: dict, key, numbers, histogram: LogHistogram) -> None:
    count, total, low, high = numbers
    if key not in merged:
        merged[key] = [count, total, low, high, histogram]
        return
    entry = merged[key]
    entry[0] += count
    entry[1] += total
    entry[2], entry[3] = min(entry[2], low), max(entry[3], high)
    entry[4].merge(histogram)


def _from_merged(period, bucket, name, tags, entry) -> MetricRollup:
    histogram = entry[4]
    quantiles = [histogram.quantile(q) for q in (0.5, 0.95, 0.99)]
    return _rollup(period, bucket, name, tags, entry[0], entry[1], entry[2], entry[3], histogram, quantiles)


def _replace(period: str, bucket, rollups: list[MetricRollup]) -> None:
    with transaction.atomic():
        MetricRollup.objects.filter(period=period, bucket=bucket).delete()
        MetricRollup.objects.bulk_create(rollups, batch_size=500)
        RollupBucket.objects.update_or_create(period=period, bucket=bucket, defaults={})


def rollup_hour(hour) -> int:
    """Recompute one hour (start of the hour, UTC); return the number of series written."""
    rollups = _sample_rollups(hour) + _request_rollups(hour)
    _replace(Period.HOUR, hour, rollups)
    return len(rollups)


COARSER = {Period.DAY: (Period.HOUR, 24), Period.WEEK: (Period.DAY, 7)}


def rollup_day(day) -> int | None:
    return rollup_coarse(Period.DAY, day)


def rollup_coarse(period: str, bucket) -> int | None:
    """Merge the finer rollups (24 hours of a day, 7 days of a week); None while one is missing."""
    finer, expected = COARSER[period]
    end = bucket + windows.PERIODS[period]
    parts = RollupBucket.objects.filter(period=finer, bucket__gte=bucket, bucket__lt=end)
    if parts.aggregate(n=Count("id"))["n"] < expected:
        return None
    merged: dict[tuple, list] = {}
    tag_sets: dict[tuple, dict] = {}
    rows = MetricRollup.objects.filter(period=finer, bucket__gte=bucket, bucket__lt=end)
    for name, digest, tags, *numbers, histogram in rows.values_list(
        "name", "tags_hash", "tags", "count", "sum", "min", "max", "histogram"
    ):
        _merge_into(merged, (name, digest), numbers, LogHistogram.from_json(histogram))
        tag_sets[(name, digest)] = tags
    rollups = [_from_merged(period, bucket, key[0], tag_sets[key], entry) for key, entry in merged.items()]
    _replace(period, bucket, rollups)
    return len(rollups)


def run(now, hours: int) -> dict[str, int]:
    """Roll up the last `hours` completed hours and every completed day and week they touch."""
    end = windows.floor(now, "hour")
    starts = [end - HOUR * i for i in range(hours, 0, -1)]
    done = {"hours": 0, "hour_series": 0, "days": 0, "day_series": 0}
    for hour in starts:
        done["hour_series"] += rollup_hour(hour)
        done["hours"] += 1
    for day in sorted({windows.floor(h, "day") for h in starts}):
        if day + DAY <= end and (series := rollup_day(day)) is not None:
            done["days"] += 1
            done["day_series"] += series
    for week in sorted({windows.floor(h, "week") for h in starts}):
        if week + windows.PERIODS["week"] <= end and rollup_coarse(Period.WEEK, week) is not None:
            done["weeks"] = done.get("weeks", 0) + 1
    return done
