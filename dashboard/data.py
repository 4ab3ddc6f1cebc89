"""Queries the dashboard needs that the owning apps do not offer; they read those apps' models
read-only. Each returns None while the model it reads does not exist (the app has not landed)."""

from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.db.models import Avg, Case, Count, Func, IntegerField, Q, Sum, When

from dashboard.models import RenderTiming
from dashboard.ranges import Window
from monitoring_site.lib.percentiles import grouped_percentiles, percentiles

# Ranges up to a day are bucketed from raw rows; longer ones read the owners' hourly rollups.
RAW_LIMIT = timedelta(hours=24)


def model(app: str, name: str):
    try:
        return apps.get_model(app, name)
    except LookupError:
        return None


class EpochBucket(Func):
    """Start (epoch seconds) of the fixed-size bucket a timestamp falls in, on both databases."""

    output_field = IntegerField()

    def __init__(self, expression, seconds: int):
        self.seconds = int(seconds)
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(CAST(strftime('%%s', {sql}) AS INTEGER) / {self.seconds}) * {self.seconds}", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(FLOOR(EXTRACT(EPOCH FROM {sql}) / {self.seconds}) * {self.seconds})::bigint", params


def at(epoch: int) -> datetime:
    return datetime.fromtimestamp(int(epoch), tz=UTC)


def bucketed(queryset, field: str, window: Window, *group, **aggregates) -> list[dict]:
    """Aggregates per bucket (and group values) over the window; rows carry `bucket` as a datetime."""
    rows = (
        queryset.filter(**{f"{field}__gte": window.since, f"{field}__lt": window.until})
        .annotate(bucket_epoch=EpochBucket(field, window.bucket.total_seconds()))
        .order_by()
        .values("bucket_epoch", *group)
        .annotate(**aggregates)
    )
    return [{**row, "bucket": at(row.pop("bucket_epoch"))} for row in rows]


# --- AI calls ------------------------------------------------------------------------------------


def ai_series(window: Window) -> dict[datetime, dict] | None:
    """{bucket: {count, error_rate, p50, p95, p99, total_tokens, cost_usd}} for the charts."""
    calls = model("ailogs", "AiCall")
    if calls is None:
        return None
    if window.span > RAW_LIMIT:
        from ailogs.queries import series

        points = series(window.since, window.until, window.bucket, filters=window.ai_filters())
        return {p["hour"]: _point(p) for p in points}
    return _raw_ai_series(calls, window)


def _point(stats: dict) -> dict:
    return {k: stats[k] for k in ("count", "error_rate", "total_tokens", "cost_usd")} | {
        q: stats["duration_ms"][q] for q in ("p50", "p95", "p99")
    }


def _raw_ai_series(calls, window: Window) -> dict[datetime, dict]:
    qs = calls.objects.all()
    if window.tenant:
        qs = qs.filter(tenant=window.tenant)
    rows = bucketed(
        qs,
        "timestamp",
        window,
        count=Count("id"),
        errors=Count("id", filter=~Q(status="success")),
        total_tokens=Sum("total_tokens"),
        cost_usd=Sum("cost_usd"),
    )
    in_window = qs.filter(timestamp__gte=window.since, timestamp__lt=window.until)
    quantiles = grouped_percentiles(
        in_window.annotate(b=EpochBucket("timestamp", window.bucket.total_seconds())), "b", "duration_ms"
    )
    series = {}
    for row in rows:
        p50, p95, p99 = quantiles.get(int(row["bucket"].timestamp()), [None] * 3)
        error_rate = round(100 * row["errors"] / row["count"], 3) if row["count"] else 0.0
        series[row["bucket"]] = {
            "count": row["count"],
            "error_rate": error_rate,
            "total_tokens": row["total_tokens"] or 0,
            "cost_usd": row["cost_usd"] or 0.0,
            "p50": p50,
            "p95": p95,
            "p99": p99,
        }
    return series


def active_sessions(window: Window) -> int | None:
    """ailogs.queries.active_sessions over the window, of its tenant when one is chosen."""
    from dashboard.sources import call

    return call("ailogs", "active_sessions", window.since, window.until, window.tenant or None)


def distinct_is_approximate(window: Window) -> bool:
    """Whether the window's distinct counts come from ailogs' sketches (the cards say "approx.")."""
    from dashboard.sources import call

    return bool(call("ailogs", "distinct_is_approximate", window.since, window.until))


TOTALS = ("count", "errors", "unpriced", "total_tokens", "cost_usd")


def ai_totals(window: Window, group: str | None = None) -> dict | None:
    """{group value: {count, errors, unpriced, total_tokens, cost_usd}} (or one dict without a
    group). Sums only: whole rolled-up hours come from the hourly rollups, the rest from raw rows;
    no duration histograms are merged, which is what makes window_stats slow over 30 days."""
    calls = model("ailogs", "AiCall")
    if calls is None:
        return None
    totals: dict = {}
    for qs, fields in _ai_sources(window, group):
        for row in _sum_rows(qs, group, fields):
            into = totals.setdefault(row.pop(group) if group else None, dict.fromkeys(TOTALS, 0))
            for name in TOTALS:
                into[name] += row[f"sum_{name}"] or 0
    return totals if group else totals.get(None, dict.fromkeys(TOTALS, 0))


def _ai_sources(window: Window, group: str | None = None, hourly: bool = False) -> list:
    """(queryset, kind) pairs covering the window once: raw calls and, where hours are rolled
    up, the rollup rows of the grain that keeps `group` (ailogs.queries.sources decides): day
    rows for whole days unless `hourly`."""
    from ailogs.queries import sources

    dims = ("hour",) if hourly else ()
    raw, rollups = sources(window.since, window.until, dims + ((group,) if group else ()), window.ai_filters())
    return [(raw, "raw")] + ([(rollups, "rollup")] if rollups is not None else [])


def _sum_rows(qs, group: str | None, kind: str):
    failed = ~Q(status="success")
    if kind == "raw":
        sums = {
            "count": Count("id"),
            "errors": Count("id", filter=failed),
            "unpriced": Count("id", filter=Q(cost_source="unpriced")),
        }
    else:
        sums = {"count": Sum("count"), "errors": Sum("count", filter=failed), "unpriced": Sum("unpriced")}
    sums |= {"total_tokens": Sum("total_tokens"), "cost_usd": Sum("cost_usd")}
    sums = {f"sum_{name}": expression for name, expression in sums.items()}  # rollup fields share the names
    rows = qs.order_by()
    return rows.values(group).annotate(**sums) if group else [rows.aggregate(**sums)]


def activity_by_weekday_hour(window: Window) -> list[list[int]] | None:
    """AI calls per [weekday Mon..Sun][hour UTC]: counts per hour, from rollups where they exist."""
    if model("ailogs", "AiCall") is None:
        return None
    grid = [[0] * 24 for _ in range(7)]
    hourly = Window(window.key, window.since, window.until, timedelta(hours=1), window.tenant)
    for qs, kind in _ai_sources(window, hourly=True):
        field = "hour" if kind == "rollup" else "timestamp"
        for row in bucketed(qs, field, hourly, n=Sum("count") if kind == "rollup" else Count("id")):
            grid[row["bucket"].weekday()][row["bucket"].hour] += row["n"]
    return grid


# --- metrics -------------------------------------------------------------------------------------


def metric_series(name: str, window: Window, tags: dict | None = None) -> dict[datetime, float] | None:
    """Average of a metric per bucket: raw samples for short ranges, hourly rollups plus the raw
    tail (hours not rolled up yet) for long ones."""
    samples = model("metrics", "MetricSample")
    if samples is None:
        return None
    raw = samples.objects.filter(name=name)
    if tags:
        raw = raw.filter(tags__contains=tags)
    if window.span <= RAW_LIMIT:
        return {r["bucket"]: r["value"] for r in bucketed(raw, "timestamp", window, value=Avg("value"))}
    return _rolled_metric_series(name, window, raw, tags)


def _rolled_metric_series(name, window: Window, raw, tags) -> dict[datetime, float]:
    rollups = model("metrics", "MetricRollup").objects.filter(name=name, period="hour")
    if tags:
        rollups = rollups.filter(tags__contains=tags)
    rows = bucketed(rollups, "bucket", window, total=Sum("sum"), n=Sum("count"))
    series = {r["bucket"]: r["total"] / r["n"] for r in rows if r["n"]}
    covered_until = max(series, default=window.since) + window.bucket
    tail = Window(window.key, covered_until, window.until, window.bucket)
    series.update({r["bucket"]: r["value"] for r in bucketed(raw, "timestamp", tail, value=Avg("value"))})
    return series


def http_series(window: Window) -> dict[datetime, dict] | None:
    """Requests per minute and 4xx/5xx rates (%) per bucket, from the per-minute request rows."""
    minutes = model("metrics", "RequestMinute")
    if minutes is None:
        return None
    per_class: dict[datetime, dict] = {}
    for row in bucketed(minutes.objects.all(), "minute", window, "status_class", n=Sum("count")):
        per_class.setdefault(row["bucket"], {})[row["status_class"]] = row["n"]
    series = {}
    for bucket, classes in per_class.items():
        total = sum(classes.values())
        client = classes.get("4xx", 0) + classes.get("429", 0)
        series[bucket] = {
            "per_minute": total / _minutes_covered(bucket, window),
            "4xx": 100 * client / total,
            "5xx": 100 * classes.get("5xx", 0) / total,
        }
    return series


def _minutes_covered(bucket: datetime, window: Window) -> float:
    """Minutes of the bucket inside the window: the first and the current bucket are partial,
    and dividing by the full bucket would draw a false drop in the request rate."""
    start, end = max(bucket, window.since), min(bucket + window.bucket, window.until)
    return max((end - start).total_seconds() / 60, 1.0)


def route_summaries(window: Window, limit: int = 25) -> list[dict] | None:
    """http_summary per route seen in the window, busiest first."""
    if model("metrics", "RequestMinute") is None:
        return None
    from metrics.queries import routes

    return routes(window.since, window.until, limit)


# --- feedback ------------------------------------------------------------------------------------


def pending_feedback(at) -> int | None:
    """Feedback pending at `at`: created by then and still pending (status history is not kept)."""
    feedback = model("feedback", "Feedback")
    if feedback is None:
        return None
    return feedback.objects.filter(status="pending", created_at__lt=at).count()


def feedback_series(window: Window, dimension: str) -> dict[str, dict[datetime, int]] | None:
    """{category or status: {bucket: submissions}}."""
    feedback = model("feedback", "Feedback")
    if feedback is None:
        return None
    series: dict[str, dict] = {}
    for row in bucketed(feedback.objects.all(), "created_at", window, dimension, n=Count("id")):
        series.setdefault(row[dimension], {})[row["bucket"]] = row["n"]
    return series


def recent_feedback(window: Window, limit: int = 10, **filters) -> list | None:
    feedback = model("feedback", "Feedback")
    if feedback is None:
        return None
    return list(
        feedback.objects.filter(created_at__lt=window.until, **filters)
        .exclude(status="spam")
        .order_by("-created_at")[:limit]
    )


# --- alerts --------------------------------------------------------------------------------------


def open_alerts(at) -> int | None:
    """Alerts firing at `at`: fired by then and not resolved by then."""
    alert = model("alerts", "Alert")
    if alert is None:
        return None
    return alert.objects.filter(fired_at__lte=at).filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=at)).count()


def firing_alerts(limit: int = 50) -> list | None:
    alert = model("alerts", "Alert")
    if alert is None:
        return None
    # Critical first: ordering by the severity text would put "warning" before "critical".
    rank = Case(When(severity="critical", then=0), When(severity="warning", then=1), default=2)
    return list(alert.objects.filter(state="firing").select_related("rule").order_by(rank, "-fired_at")[:limit])


def mttr_minutes(since, until) -> float | None:
    """Mean time from firing to resolved of critical alerts resolved in the window."""
    alert = model("alerts", "Alert")
    if alert is None:
        return None
    resolved = alert.objects.filter(
        severity="critical", resolved_at__gte=since, resolved_at__lt=until, fired_at__isnull=False
    )
    durations = [(r - f).total_seconds() / 60 for f, r in resolved.values_list("fired_at", "resolved_at")]
    return round(sum(durations) / len(durations), 2) if durations else None


def transition_series(window: Window) -> dict[str, dict[datetime, int]] | None:
    transition = model("alerts", "AlertTransition")
    if transition is None:
        return None
    series: dict[str, dict] = {}
    for row in bucketed(transition.objects.all(), "at", window, "reason", n=Count("id")):
        series.setdefault(row["reason"], {})[row["bucket"]] = row["n"]
    return series


def recent_transitions(window: Window, limit: int = 15) -> list | None:
    transition = model("alerts", "AlertTransition")
    if transition is None:
        return None
    qs = transition.objects.filter(at__gte=window.since, at__lt=window.until).select_related("alert__rule")
    return list(qs.order_by("-at", "-id")[:limit])


def deliveries_by_channel(window: Window) -> dict[str, dict[str, int]] | None:
    """{channel name: {sent: n, failed: n, pending: n}} for notifications created in the window."""
    delivery = model("alerts", "NotificationDelivery")
    if delivery is None:
        return None
    rows = (
        delivery.objects.filter(created_at__gte=window.since, created_at__lt=window.until)
        .order_by()
        .values("channel__name", "status")
        .annotate(n=Count("id"))
    )
    result: dict[str, dict] = {}
    for row in rows:
        result.setdefault(row["channel__name"], {})[row["status"]] = row["n"]
    return result


# --- incidents -----------------------------------------------------------------------------------


def events(window: Window) -> list[dict]:
    """Deploy, config and note events in the window (the chart markers); none without incidents."""
    from dashboard.sources import call

    return call("incidents", "events", window.since, window.until, tenant=window.tenant) or []


# --- the dashboard itself ------------------------------------------------------------------------


def render_p95_ms(since, until) -> float | None:
    timings = RenderTiming.objects.filter(recorded_at__gte=since, recorded_at__lt=until)
    (p95,) = percentiles(timings, "duration_ms", (0.95,))
    return p95
