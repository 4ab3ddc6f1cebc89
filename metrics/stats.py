"""Summaries over a window: exact from raw samples for short windows; for long ones, daily and
hourly rollups for the buckets already rolled up plus raw rows for the edges, merged through
LogHistogram (count/sum/min/max stay exact, percentiles within 1 %).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, connections
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.fields.json import KeyTransform

from metrics import windows
from metrics.models import MetricRollup, MetricSample, RequestMinute, RollupBucket
from monitoring_site.lib.histogram import _LOG_GAMMA, _MIN_MAGNITUDE, LogHistogram
from monitoring_site.lib.percentiles import percentiles

HTTP_METRIC = "http_request_duration_ms"


@dataclass
class Part:
    """count/sum/min/max plus a histogram: what any tier contributes to a summary."""

    count: int = 0
    sum: float = 0.0
    min: float | None = None
    max: float | None = None
    histogram: LogHistogram = field(default_factory=LogHistogram)

    def add(self, count, total, low, high, histogram: LogHistogram | None = None) -> None:
        if not count:
            return
        self.count += count
        self.sum += total or 0.0
        self.min = low if self.min is None else min(self.min, low)
        self.max = high if self.max is None else max(self.max, high)
        if histogram is not None:
            self.histogram.merge(histogram)

    def as_summary(self) -> dict:
        quantiles = [self.histogram.quantile(q) for q in (0.5, 0.95, 0.99)]
        return _summary(self.count, self.sum, self.min, self.max, quantiles)


def _summary(count, total, low, high, quantiles) -> dict:
    if not count:
        return {"count": 0, "sum": 0.0, "min": None, "max": None, "avg": None, "p50": None, "p95": None, "p99": None}
    # Percentiles from a histogram are bucket midpoints: clamp them into the exact min..max.
    p50, p95, p99 = (None if q is None else min(max(q, low), high) for q in quantiles)
    return {
        "count": count,
        "sum": total,
        "min": low,
        "max": high,
        "avg": total / count,
        "p50": p50,
        "p95": p95,
        "p99": p99,
    }


def with_tags(queryset, tags: dict | None):
    """Filter rows whose tags contain every KEY=VALUE (JSON key lookups work on both backends)."""
    for index, (key, value) in enumerate((tags or {}).items()):
        alias = f"_tag{index}"
        queryset = queryset.alias(**{alias: KeyTransform(key, "tags")}).filter(**{alias: str(value)})
    return queryset


def raw_samples(name: str, since, until, tags=None):
    return with_tags(MetricSample.objects.filter(name=name, timestamp__gte=since, timestamp__lt=until), tags)


def exact_window() -> timedelta:
    return timedelta(hours=settings.METRICS_EXACT_WINDOW_HOURS)


def summary(name: str, since, until, tags=None) -> dict:
    """count, sum, min, max, avg, p50, p95, p99 of a metric over [since, until)."""
    if until - since <= exact_window():
        return exact_summary(raw_samples(name, since, until, tags))
    part = Part()
    for start, end in tiered(part, name, since, until, tags):
        _add_raw(part, raw_samples(name, start, end, tags))
    return part.as_summary()


def exact_summary(queryset) -> dict:
    totals = queryset.aggregate(n=Count("id"), total=Sum("value"), low=Min("value"), high=Max("value"))
    quantiles = percentiles(queryset, "value") if totals["n"] else [None] * 3
    return _summary(totals["n"], totals["total"], totals["low"], totals["high"], quantiles)


def tiered(part: Part, name: str, since, until, tags=None, by_class: dict | None = None) -> list[tuple]:
    """Add the rollups of every fully covered day and hour to `part`; return the raw gaps left."""
    gaps = [(since, until)]
    for period in ("week", "day", "hour"):
        covered = _covered(period, gaps)
        if covered:
            _add_rollups(part, name, period, covered, tags, by_class)
            gaps = windows.subtract(gaps, covered)
    return gaps


def _covered(period: str, gaps: list[tuple]) -> list[tuple]:
    length = windows.PERIODS[period]
    starts = []
    for start, end in gaps:
        buckets = RollupBucket.objects.filter(
            period=period, bucket__gte=windows.ceil(start, period), bucket__lte=end - length
        )
        starts.extend(buckets.values_list("bucket", flat=True))
    return windows.runs(starts, length)


def _ranges(field_name: str, intervals: list[tuple]) -> Q:
    query = Q()
    for start, end in intervals:
        query |= Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
    return query


def _add_rollups(part, name, period, covered, tags, by_class) -> None:
    rollups = with_tags(MetricRollup.objects.filter(_ranges("bucket", covered), name=name, period=period), tags)
    if by_class is None:
        rows = list(rollups.values_list("count", "sum", "min", "max", "histogram"))
        for count, total, low, high, _ in rows:
            part.add(count, total, low, high)
        part.histogram.merge(merged_fast(row[4] for row in rows))
        return
    for row in rollups.values_list("count", "sum", "min", "max", "histogram", "tags"):
        by_class[row[5].get("status_class", "")].add(*row[:4], LogHistogram.from_json(row[4]))


def merged_fast(blobs) -> LogHistogram:
    """Merge stored histogram JSON keeping string keys until the end (half the work of merged())."""
    sums: dict[str, dict] = {"p": {}, "n": {}}
    zeros = 0
    for blob in blobs:
        for side in ("p", "n"):
            target = sums[side]
            for key, count in blob.get(side, {}).items():
                target[key] = target.get(key, 0) + count
        zeros += blob.get("z", 0)
    return LogHistogram.from_json({**sums, "z": zeros})


def _add_raw(part: Part, queryset) -> None:
    if connection.vendor == "postgresql":
        _add_raw_bucketed(part, queryset)
        return
    totals = queryset.aggregate(n=Count("id"), total=Sum("value"), low=Min("value"), high=Max("value"))
    if totals["n"]:
        part.add(totals["n"], totals["total"], totals["low"], totals["high"], raw_histogram(queryset))


def _add_raw_bucketed(part: Part, queryset) -> None:
    """One scan: per histogram bucket its count, sum, min and max, combined here."""
    for sign, index, count, total, low, high in _bucketed(queryset, ", sum(value), min(value), max(value)"):
        histogram = LogHistogram()
        add_bucket(histogram, sign, index, count)
        part.add(count, total, low, high, histogram)


_BUCKET_COLUMNS = (
    "sign(value)::int * (abs(value) >= %s)::int AS s, "
    "CASE WHEN abs(value) >= %s THEN ceil(ln(abs(value)) / %s)::int ELSE 0 END AS i, count(*)"
)


def raw_histogram(queryset) -> LogHistogram:
    """Histogram of `value` over the queryset; bucketed inside PostgreSQL, so no rows travel."""
    if connection.vendor != "postgresql":
        return LogHistogram.of(queryset.values_list("value", flat=True).iterator(chunk_size=10_000))
    histogram = LogHistogram()
    for sign, index, count in _bucketed(queryset):
        add_bucket(histogram, sign, index, count)
    return histogram


def _bucketed(queryset, extra_columns: str = "") -> list[tuple]:
    sql, params = queryset.order_by().values("value").query.sql_with_params()
    # Django-generated SQL, values passed as parameters
    bucketed = f"SELECT {_BUCKET_COLUMNS}{extra_columns} FROM ({sql}) AS q GROUP BY 1, 2"  # noqa: S608
    with connections[queryset.db].cursor() as cursor:  # the replica in a replica_reads() scope
        cursor.execute(bucketed, [_MIN_MAGNITUDE, _MIN_MAGNITUDE, _LOG_GAMMA, *params])
        return cursor.fetchall()


def add_bucket(histogram: LogHistogram, sign: int, index: int, count: int) -> None:
    """Add a bucket computed in SQL (sign -1/0/1, LogHistogram index) to a histogram."""
    target = {1: histogram.positive, -1: histogram.negative}.get(sign)
    if target is None:
        histogram.zeros += count
    else:
        target[index] = target.get(index, 0) + count


# --- this site's requests (RequestMinute, rolled up as HTTP_METRIC) ---------------------------


def http_parts(since, until, route: str | None = None) -> dict[str, Part]:
    """Return {status_class: Part} of this site's requests over [since, until)."""
    by_class: dict[str, Part] = defaultdict(Part)
    tags = {"route": route} if route else None
    gaps = [(since, until)]
    if until - since > exact_window():
        gaps = tiered(Part(), HTTP_METRIC, since, until, tags, by_class=by_class)
    for start, end in gaps:
        minutes = RequestMinute.objects.filter(minute__gte=start, minute__lt=end)
        if route:
            minutes = minutes.filter(route=route)
        for row in minutes.values_list(
            "status_class", "count", "duration_sum_ms", "duration_min_ms", "duration_max_ms", "histogram"
        ):
            by_class[row[0]].add(*row[1:5], LogHistogram.from_json(row[5]))
    return by_class


def minute_totals(since, until):
    """Requests per minute (summed over processes and routes), for charts."""
    rows = RequestMinute.objects.filter(minute__gte=since, minute__lt=until).values("minute")
    return rows.annotate(requests=Sum("count"), errors=Sum("count", filter=Q(status_class="5xx"))).order_by("minute")
