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
from datetime import datetime

log = logging.getLogger(__name__)

AGGREGATIONS = ("avg", "sum", "min", "max", "count", "p50", "p95", "p99", "last")
AILOGS_FILTERS = ("model", "function", "provider", "tenant", "status", "user_id", "api_key")


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


# What each AI key reads from ailogs.queries.alert_stats, and the statistic it needs there.
AI_PICKS: dict[str, tuple[str, Callable[[dict], float | None]]] = {
    "ai_error_rate": ("errors", lambda s: s["error_rate"]),
    "ai_latency_p95_ms": ("p95", lambda s: s["duration_ms"]["p95"]),
    "ai_tokens": ("total_tokens", lambda s: float(s["total_tokens"])),
    "ai_cost_usd": ("cost_usd", lambda s: s["cost_usd"]),
    "ai_calls": ("count", lambda s: float(s["count"])),
}


def _ai_stat(metric: str):
    """The evaluator of an AI key for filters alone (rules go through _measure_ai, which also groups)."""

    def evaluate(filters: dict, aggregation: str, since: datetime, until: datetime) -> Measurement:
        from types import SimpleNamespace

        rule = SimpleNamespace(pk=0, metric=metric, kind="threshold", filters=filters, group_by=[])
        return _measure_ai(since, until, [(rule, _ailogs_filters(filters))])[0]

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
    **{key: _ai_stat(key) for key in AI_PICKS},
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


def _grouped_down(function: str):
    """One group per check (or monitor): 1 while it is down, 0 while up; new and paused are not watched."""

    def evaluate(filters, aggregation, since, until) -> dict[str, Measurement]:
        return {
            group: Measurement(float(down), 1) for group, down in getattr(_queries("checks"), function)(until).items()
        }

    return evaluate


def _health(status: str):
    """How many of the per-minute health samples in the window had this status (no samples: no data)."""

    def evaluate(filters, aggregation, since, until) -> Measurement:
        matching, total = _queries("monitoring_site").health_samples(since, until, status)
        return Measurement(float(matching) if total else None, total)

    return evaluate


# SPEC section 10: check-ins and monitors (grouped: one alert per check or monitor) and health.
CATALOG.update(
    {
        "check_down": _grouped_down("down_by_group"),
        "monitor_down": _grouped_down("monitors_down_by_group"),
        "health_degraded": _health("degraded"),
        "health_limited": _health("limited"),
    }
)

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

    A grouped evaluator (one alert per check, per tenant...) or a rule with `group_by` returns
    {group key: Measurement}. AI rules read through the same grouped query as a whole cycle.
    """
    try:
        if rule.metric in AI_PICKS:
            return _measure_ai(since, until, [(rule, _ailogs_filters(rule.filters or {}))])[rule.pk]
        return evaluator(rule.metric)(rule.filters or {}, rule.aggregation, since, until)
    except SourceUnavailable as exc:
        return Measurement(None, 0, str(exc))


def measure_groups(rule, since: datetime, until: datetime) -> Grouped:
    """`measure` as {group key: Measurement}; a rule measured as a whole is the one group ""."""
    measured = measure(rule, since, until)
    return measured if isinstance(measured, dict) else {"": measured}


# --- one cycle: every rule, one query per source group ------------------------------------------


def measure_many(rules: Iterable, now: datetime) -> dict[int, Measurement | Grouped]:
    """Measure every rule at `now`: {rule pk: Measurement or Grouped}; a rule whose source failed is absent.

    AI rules sharing a window start are one GROUP BY over every column any of them filters or
    groups on, computing only the statistics they need; each rule adds up the rows it matches
    (sums, counts and histograms merge exactly). Other rules share one evaluation per identical
    (metric, aggregation, filters, window).
    """
    results: dict[int, Measurement | Grouped] = {}
    ai_windows: dict[datetime, list] = defaultdict(list)
    shared: dict[tuple, Measurement | Grouped | None] = {}
    for rule in rules:
        since = rule.since(now)
        if rule.metric in AI_PICKS:
            ai_windows[since].append((rule, _ailogs_filters(rule.filters or {})))
            continue
        key = (rule.metric, rule.aggregation, json.dumps(rule.filters or {}, sort_keys=True), since)
        if key not in shared:
            shared[key] = _measure_logged(rule, since, now)
        if shared[key] is not None:
            results[rule.pk] = shared[key]
    for since, members in ai_windows.items():
        try:
            results.update(_measure_ai(since, now, members))
        except Exception:
            log.exception("AI alert rules since %s failed to measure", since)
    return results


def _measure_logged(rule, since: datetime, now: datetime) -> Measurement | Grouped | None:
    try:
        return measure(rule, since, now)
    except Exception:
        log.exception("alert rule %s (%s) failed to measure", rule.pk, rule.name)
        return None


def group_key(group_by: list[str], labels: dict) -> str:
    """ "tenant=acme, model=gpt-4o": the alert's group, in the rule's group_by order."""
    return ", ".join(f"{d}={labels[d] if labels[d] not in (None, '') else '(none)'}" for d in group_by)


def _pick(rule) -> Callable[[dict], float | None]:
    if rule.kind == "budget":  # spend as a % of the period's budget
        return lambda s: 100.0 * s["cost_usd"] / rule.budget_usd
    return AI_PICKS[rule.metric][1]


def _measurement(pick, totals) -> Measurement:
    count = totals.count if totals is not None else 0
    return Measurement(pick(totals.as_dict()) if count else None, count)


def _measure_ai(since: datetime, until: datetime, members: list) -> dict[int, Measurement | Grouped]:
    """One alert_totals query for AI rules sharing a window start; each rule adds up its rows."""
    try:
        queries = _queries("ailogs")
    except SourceUnavailable as exc:
        return {rule.pk: Measurement(None, 0, str(exc)) for rule, _ in members}
    needs = {AI_PICKS[rule.metric][0] for rule, _ in members}
    dims = tuple(sorted({d for rule, filters in members for d in (*filters, *(rule.group_by or []))}))
    # Narrow a column to the asked-for values when every rule filters on it (none needs them all).
    narrowed = [d for d in dims if all(d in filters for _, filters in members)]
    values = {d: sorted({filters[d] for _, filters in members}) for d in narrowed}
    rows = [
        (dict(zip(dims, key, strict=True)), totals)
        for key, totals in queries.alert_totals(since, until, dims, values, needs).items()
    ]
    results: dict[int, Measurement | Grouped] = {}
    for rule, filters in members:
        groups: dict[str, object] = {}
        for labels, totals in rows:
            if all(labels[d] == v for d, v in filters.items()):
                key = group_key(rule.group_by, labels) if rule.group_by else ""
                merged = groups.get(key)
                groups[key] = totals if merged is None else _merged(merged, totals)
        pick = _pick(rule)
        if rule.group_by:
            results[rule.pk] = {key: _measurement(pick, totals) for key, totals in groups.items()}
        else:
            results[rule.pk] = _measurement(pick, groups.get(""))
    return results


def _merged(a, b):
    """A new Totals of both (the query's rows are shared between rules: never merge into one)."""
    return type(a)().merge(a).merge(b)
