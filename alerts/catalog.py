"""What an alert rule can watch: each catalog key (SPEC section 6) is a small function.

An evaluator takes the rule's filters and a window and returns a Measurement: the value and how
many samples it rests on, so a rule's `min_samples` can ignore "1 error out of 2 calls".
Other apps are read only through their `queries` modules, imported lazily so that alerts works
(with "no data") while an app is absent.
"""

import importlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

log = logging.getLogger(__name__)

AGGREGATIONS = ("avg", "sum", "min", "max", "count", "p50", "p95", "p99", "last")
AILOGS_FILTERS = ("model", "function", "provider", "tenant", "status")


@dataclass(frozen=True)
class Measurement:
    value: float | None
    samples: int
    note: str = ""


NO_DATA = Measurement(None, 0, "no data for this group")


class SourceUnavailable(Exception):
    """The app that owns the data is not installed (yet)."""


def _queries(app: str):
    try:
        return importlib.import_module(f"{app}.queries")
    except ModuleNotFoundError as exc:
        if exc.name not in (app, f"{app}.queries"):
            raise
        raise SourceUnavailable(f"{app}.queries is not available") from None


def _ailogs_filters(filters: dict) -> dict:
    return {k: filters[k] for k in AILOGS_FILTERS if filters.get(k) not in (None, "")}


def _ai_stat(pick: Callable[[dict], float | None]):
    def evaluate(filters: dict, aggregation: str, since: datetime, until: datetime) -> Measurement:
        stats = _queries("ailogs").window_stats(since, until, _ailogs_filters(filters) or None)
        count = stats.get("count") or 0
        return Measurement(pick(stats) if count else None, count)

    return evaluate


def _http_stat(key: str):
    def evaluate(filters: dict, aggregation: str, since: datetime, until: datetime) -> Measurement:
        summary = _queries("metrics").http_summary(since, until, route=filters.get("route"))
        requests = summary.get("requests") or 0
        return Measurement(summary.get(key) if requests else None, requests)

    return evaluate


def _metric(name: str, default_aggregation: str):
    def evaluate(filters: dict, aggregation: str, since: datetime, until: datetime) -> Measurement:
        value, samples = _queries("metrics").aggregate(
            name, since, until, aggregation or default_aggregation, tags=filters.get("tags") or None
        )
        return Measurement(value, samples)

    return evaluate


def _counter(name: str):
    """Counters sum over the window; an empty window means zero, not "no data"."""
    inner = _metric(name, "sum")

    def evaluate(filters: dict, aggregation: str, since: datetime, until: datetime) -> Measurement:
        result = inner(filters, aggregation, since, until)
        return Measurement(result.value or 0.0, max(result.samples, 1))

    return evaluate


def _failed_logins(filters, aggregation, since, until) -> Measurement:
    count = _queries("monitoring_site").failed_logins(since, until)
    return Measurement(float(count), max(count, 1))


def _audit_events(filters, aggregation, since, until) -> Measurement:
    count = _queries("monitoring_site").audit_events(since, until, kind=filters.get("kind") or None)
    return Measurement(float(count), max(count, 1))


def _rate_limited(filters, aggregation, since, until) -> Measurement:
    """429s seen by the request metrics plus rate-limit events in the audit log (login lockouts)."""
    count = _queries("monitoring_site").audit_events(since, until, kind="rate_limited")
    try:
        count += _queries("metrics").http_summary(since, until, route=filters.get("route")).get("rate_limited") or 0
    except SourceUnavailable:
        pass
    return Measurement(float(count), max(count, 1))


def _feedback_pending(filters, aggregation, since, until) -> Measurement:
    return Measurement(float(_queries("feedback").high_priority_pending()), 1)


CATALOG: dict[str, Callable[..., Measurement]] = {
    "ai_error_rate": _ai_stat(lambda s: s.get("error_rate")),
    "ai_latency_p95_ms": _ai_stat(lambda s: (s.get("duration_ms") or {}).get("p95")),
    "ai_tokens": _ai_stat(lambda s: s.get("total_tokens")),
    "ai_cost_usd": _ai_stat(lambda s: s.get("cost_usd")),
    "ai_calls": _ai_stat(lambda s: s.get("count")),
    "http_error_rate": _http_stat("error_rate_5xx"),
    "http_latency_p95_ms": _http_stat("p95_ms"),
    "queue_depth": _metric("celery_queue_depth", "max"),
    "queue_processing_time_p95_s": _metric("celery_task_duration_seconds", "p95"),
    "memory_used_percent": _metric("system_memory_used_percent", "avg"),
    "cpu_percent": _metric("system_cpu_percent", "avg"),
    "disk_free_percent": _metric("system_disk_free_percent", "min"),
    "failed_logins": _failed_logins,
    "rate_limited_requests": _rate_limited,
    "feedback_high_priority_pending": _feedback_pending,
    "db_connection_failures": _counter("db_connection_failures"),
    "audit_events": _audit_events,
}

METRIC_PREFIX = "metric:"
# Catalog keys read from one ingested metric: their `aggregation` may override the default.
METRIC_BACKED = frozenset(
    {"queue_depth", "queue_processing_time_p95_s", "memory_used_percent", "cpu_percent", "disk_free_percent"}
)
_AI_KEYS = ("ai_error_rate", "ai_latency_p95_ms", "ai_tokens", "ai_cost_usd", "ai_calls")
FILTER_KEYS: dict[str, tuple[str, ...]] = {
    **{key: AILOGS_FILTERS for key in _AI_KEYS},
    "http_error_rate": ("route",),
    "http_latency_p95_ms": ("route",),
    "rate_limited_requests": ("route",),
    "audit_events": ("kind",),
    **{key: ("tags",) for key in (*METRIC_BACKED, "db_connection_failures")},
}


def filter_keys(metric: str) -> tuple[str, ...]:
    """The filter keys a rule on this metric may use (the others would be silently ignored)."""
    if metric.startswith(METRIC_PREFIX):
        return ("tags",)
    return FILTER_KEYS.get(metric, ())


def is_known(metric: str) -> bool:
    return metric in CATALOG or (metric.startswith(METRIC_PREFIX) and len(metric) > len(METRIC_PREFIX))


def evaluator(metric: str) -> Callable[..., Measurement]:
    if metric in CATALOG:
        return CATALOG[metric]
    if metric.startswith(METRIC_PREFIX):
        return _metric(metric[len(METRIC_PREFIX) :], "avg")
    raise KeyError(f"unknown metric {metric!r}")


Grouped = dict[str, Measurement]


def measure(rule, since: datetime, until: datetime) -> Measurement | Grouped:
    """Evaluate a rule's metric over [since, until); "no data" when the owning app is absent.

    A grouped evaluator (one alert per check, per tenant...) returns {group key: Measurement}.
    """
    try:
        return evaluator(rule.metric)(rule.filters or {}, rule.aggregation, since, until)
    except SourceUnavailable as exc:
        return Measurement(None, 0, str(exc))


def measure_groups(rule, since: datetime, until: datetime) -> Grouped:
    """`measure` as {group key: Measurement}; a rule measured as a whole is the one group ""."""
    measured = measure(rule, since, until)
    return measured if isinstance(measured, dict) else {"": measured}


# --- one cycle: every rule, one query per source group ------------------------------------------

# What each AI key reads from ailogs.queries.alert_stats, and the statistic it needs there.
AI_PICKS: dict[str, tuple[str, Callable[[dict], float | None]]] = {
    "ai_error_rate": ("errors", lambda s: s["error_rate"]),
    "ai_latency_p95_ms": ("p95", lambda s: s["p95_ms"]),
    "ai_tokens": ("total_tokens", lambda s: float(s["total_tokens"])),
    "ai_cost_usd": ("cost_usd", lambda s: s["cost_usd"]),
    "ai_calls": ("count", lambda s: float(s["count"])),
}


def measure_many(rules: Iterable, now: datetime) -> dict[int, Measurement | Grouped]:
    """Measure every rule at `now`: {rule pk: Measurement}; a rule whose source failed is absent.

    AI rules are grouped by window and by which filter keys they set; each group is one
    GROUP BY over those columns (rules that differ only in a filter value share it) computing
    only the statistics its rules need. Other rules share one evaluation per identical
    (metric, aggregation, filters, window).
    """
    results: dict[int, Measurement] = {}
    ai_groups: dict[tuple, list] = defaultdict(list)
    shared: dict[tuple, Measurement | Grouped | None] = {}
    for rule in rules:
        if rule.metric in AI_PICKS:
            filters = _ailogs_filters(rule.filters or {})
            ai_groups[(rule.window_minutes, tuple(sorted(filters)))].append((rule, filters))
            continue
        key = (rule.metric, rule.aggregation, json.dumps(rule.filters or {}, sort_keys=True), rule.window_minutes)
        if key not in shared:
            shared[key] = _measure_logged(rule, now)
        if shared[key] is not None:
            results[rule.pk] = shared[key]
    for (window, dims), members in ai_groups.items():
        results.update(_measure_ai_group(window, dims, members, now))
    return results


def _measure_logged(rule, now: datetime) -> Measurement | Grouped | None:
    try:
        return measure(rule, now - timedelta(minutes=rule.window_minutes), now)
    except Exception:
        log.exception("alert rule %s (%s) failed to measure", rule.pk, rule.name)
        return None


def _measure_ai_group(window: int, dims: tuple, members: list, now: datetime) -> dict[int, Measurement]:
    needs = {AI_PICKS[rule.metric][0] for rule, _ in members}
    values = {d: sorted({filters[d] for _, filters in members}) for d in dims}
    try:
        stats = _queries("ailogs").alert_stats(now - timedelta(minutes=window), now, dims, values, needs)
    except SourceUnavailable as exc:
        return {rule.pk: Measurement(None, 0, str(exc)) for rule, _ in members}
    except Exception:
        log.exception("AI alert rules over %s min by %s failed to measure", window, dims or "nothing")
        return {}
    results = {}
    for rule, filters in members:
        row = stats.get(tuple(filters[d] for d in dims))
        count = row["count"] if row else 0
        results[rule.pk] = Measurement(AI_PICKS[rule.metric][1](row) if count else None, count)
    return results
