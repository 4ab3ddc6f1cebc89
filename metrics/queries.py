"""Read functions other apps (alerts, dashboard) call; names and shapes are a contract (BRIEF)."""

from metrics import stats
from metrics.usage import ai_calls_by_function, daily_active_users, exports_per_day, sessions_per_day

AGGREGATIONS = ("avg", "sum", "min", "max", "count", "p50", "p95", "p99", "last")

__all__ = [
    "aggregate",
    "http_summary",
    "latest",
    "daily_active_users",
    "sessions_per_day",
    "ai_calls_by_function",
    "exports_per_day",
]


def aggregate(name: str, since, until, aggregation: str, tags: dict | None = None) -> tuple[float | None, int]:
    """Return (value, number of samples) of a metric over [since, until); value None without samples."""
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {aggregation!r}; use one of {', '.join(AGGREGATIONS)}")
    if aggregation == "last":
        return latest(name, since, until, tags)
    result = stats.summary(name, since, until, tags)
    value = result["count"] if aggregation == "count" else result[aggregation]
    return (float(value) if value is not None else None), result["count"]


def latest(name: str, since, until, tags: dict | None = None) -> tuple[float | None, int]:
    samples = stats.raw_samples(name, since, until, tags)
    newest = samples.order_by("-timestamp").values_list("value", flat=True).first()
    return newest, (samples.count() if newest is not None else 0)


def http_summary(since, until, route: str | None = None) -> dict:
    """This site's requests over [since, until): counts, 4xx/5xx/429 and latency percentiles (ms)."""
    parts = stats.http_parts(since, until, route)
    everything = stats.Part()
    for part in parts.values():
        everything.add(part.count, part.sum, part.min, part.max, part.histogram)
    total = everything.count
    errors_5xx = parts["5xx"].count if "5xx" in parts else 0
    latency = everything.as_summary()
    minutes = max((until - since).total_seconds() / 60, 1 / 60)
    return {
        "requests": total,
        "errors_4xx": sum(parts[c].count for c in ("4xx", "429") if c in parts),
        "errors_5xx": errors_5xx,
        "error_rate_5xx": round(errors_5xx / total * 100, 3) if total else 0.0,
        "rate_limited": parts["429"].count if "429" in parts else 0,
        "p50_ms": latency["p50"],
        "p95_ms": latency["p95"],
        "p99_ms": latency["p99"],
        "requests_per_minute": round(total / minutes, 3),
    }


def routes(since, until, limit: int | None = None) -> list[dict]:
    """http_summary per route seen in the window, busiest first (dashboard table)."""
    from django.db.models import Sum

    from metrics.models import RequestMinute

    # order_by() first: the model's default ordering (-minute) would leak into the GROUP BY
    in_window = RequestMinute.objects.filter(minute__gte=since, minute__lt=until).order_by()
    busiest = in_window.values("route").annotate(n=Sum("count")).order_by("-n", "route")
    names = [row["route"] for row in (busiest[:limit] if limit else busiest)]
    return [{"route": name, **http_summary(since, until, name)} for name in names]
