"""Hourly and daily rollups: per metric name and tag set, count/sum/min/max, p50/p95/p99 and a
mergeable LogHistogram. Re-running an hour replaces it (idempotent), so beat can recompute the
last few hours each run and pick up late samples.
"""

from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.db.models import Count

from metrics import windows
from metrics.models import MetricRollup, MetricSample, Period, RequestMinute, RollupBucket, tags_hash
from metrics.stats import HTTP_METRIC
from monitoring_site.lib.histogram import LogHistogram
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


def rollup_day(day) -> int | None:
    """Merge a day's 24 hourly rollups; None (nothing written) while an hour is missing."""
    hours = RollupBucket.objects.filter(period=Period.HOUR, bucket__gte=day, bucket__lt=day + DAY)
    if hours.aggregate(n=Count("id"))["n"] < 24:
        return None
    merged: dict[tuple, list] = {}
    tag_sets: dict[tuple, dict] = {}
    hourly = MetricRollup.objects.filter(period=Period.HOUR, bucket__gte=day, bucket__lt=day + DAY)
    for name, digest, tags, *numbers, histogram in hourly.values_list(
        "name", "tags_hash", "tags", "count", "sum", "min", "max", "histogram"
    ):
        _merge_into(merged, (name, digest), numbers, LogHistogram.from_json(histogram))
        tag_sets[(name, digest)] = tags
    rollups = [_from_merged(Period.DAY, day, key[0], tag_sets[key], entry) for key, entry in merged.items()]
    _replace(Period.DAY, day, rollups)
    return len(rollups)


def run(now, hours: int) -> dict[str, int]:
    """Roll up the last `hours` completed hours and every completed day they touch."""
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
    return done
