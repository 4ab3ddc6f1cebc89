"""Read functions over AI calls for the API, the dashboard and alerts (the cross-app contract).

Short windows (<= AILOGS_EXACT_WINDOW_HOURS) are answered exactly from raw rows with
percentile_cont. Longer ones merge rollups for what is already rolled up (day rows for whole UTC
days, hour rows for the whole hours around them) and add raw rows for the partial hours at both
ends, so a 30-day window over millions of calls reads ~30 rows per group instead (percentiles
then within 1 % of the exact value). Distinct counts over windows holding whole days come from
the days' HyperLogLog sketches (ailogs.sketches, approximate: 1.6 % standard error).
"""

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Case, Count, F, IntegerField, Max, Min, Q, Sum, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Least, TruncDate, TruncHour

from ailogs import retention, sketches
from ailogs.models import (
    MAX_COST_USD,
    MAX_DURATION_MS,
    AiCall,
    AiCallActorDay,
    AiCallErrorDay,
    AiCallHourly,
    AiCallSessionBlock,
    AiCallSessionDay,
    Status,
    capped_sum,
)
from ailogs.rollup import (
    BLOCK,
    DAY,
    HOUR,
    SIX_HOUR_GRAINS,
    SIX_HOURS,
    SUMS,
    add_to_bucket,
    block_start,
    ceil_day,
    ceil_hour,
    days_of,
    duration_bucket,
    floor_day,
    floor_hour,
    histograms_by,
    raw_sums,
    rolled_through,
)
from monitoring_site.lib.histogram import LogHistogram
from monitoring_site.lib.percentiles import grouped_percentiles, percentiles

FILTERS = ("model", "function", "provider", "tenant", "status")
GROUPS = ("model", "function", "provider", "tenant", "status")


class Totals:
    """Running sums for one group; `as_dict()` gives the SPEC stats shape."""

    def __init__(self) -> None:
        self.count = self.errors = self.unpriced = 0
        self.prompt_tokens = self.completion_tokens = self.total_tokens = 0
        self.cost_usd = self.duration_sum = 0.0
        self.histogram = LogHistogram()
        self.exact: list | None = None

    def add(self, status: str, n: int, pt, ct, tt, cost, unpriced, duration_sum) -> None:
        self.count += n
        self.errors += n if status != Status.SUCCESS else 0
        self.prompt_tokens += pt or 0
        self.completion_tokens += ct or 0
        self.total_tokens += tt or 0
        self.cost_usd += cost or 0.0
        self.unpriced += unpriced or 0
        self.duration_sum += duration_sum or 0.0

    def merge(self, other: "Totals") -> "Totals":
        for name in (
            "count",
            "errors",
            "unpriced",
            "prompt_tokens",
            "completion_tokens",
            "total_tokens",
            "cost_usd",
            "duration_sum",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.histogram.merge(other.histogram)
        return self

    def as_dict(self) -> dict:
        if self.exact is not None:
            p50, p95, p99 = self.exact
        else:
            p50, p95, p99 = (self.histogram.quantile(q) for q in (0.5, 0.95, 0.99))
        return {
            "count": self.count,
            "errors": self.errors,
            "error_rate": round(100.0 * self.errors / self.count, 4) if self.count else 0.0,
            "duration_ms": {
                "avg": _duration(self.duration_sum / self.count if self.count else None),
                "p50": _duration(p50),
                "p95": _duration(p95),
                "p99": _duration(p99),
            },
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "unpriced": self.unpriced,
        }


def _round(value):
    return None if value is None else round(value, 3)


def _duration(value):
    """Durations are capped like the sums: a row stored before ingest bounded duration_ms would
    otherwise give inf/NaN percentiles, which JSON cannot carry (a 500)."""
    if value is None:
        return None
    return _round(value) if math.isfinite(value) and value <= MAX_DURATION_MS else float(MAX_DURATION_MS)


def filtered(queryset, filters: dict | None):
    for name in FILTERS:
        value = (filters or {}).get(name)
        if value:
            queryset = queryset.filter(**{name: value})
    return queryset


def _plan(since: datetime, until: datetime):
    """Split a window into raw ranges and one whole-hour rollup range (or None)."""
    if until - since <= timedelta(hours=settings.AILOGS_EXACT_WINDOW_HOURS):
        return [(since, until)], None
    frontier = rolled_through()
    start, end = ceil_hour(since), floor_hour(until)
    if frontier is None or min(end, frontier) <= start:
        return [(since, until)], None
    end = min(end, frontier)
    return [(since, start), (end, until)], (start, end)


def grain_for(dims: tuple, filters: dict | None) -> str:
    """The coarsest rollup grain that keeps every dimension the query groups or filters by."""
    needed = {d for d in dims if d not in ("hour", "status")} | {
        k for k, v in (filters or {}).items() if v and k != "status"
    }
    if not needed:
        return AiCallHourly.Grain.ALL
    return needed.pop() if len(needed) == 1 else AiCallHourly.Grain.FULL


def _raw(since_until: list, filters: dict | None):
    q = Q()
    for since, until in since_until:
        if since < until:
            q |= Q(timestamp__gte=since, timestamp__lt=until)
    return filtered(AiCall.objects.filter(q), filters).order_by() if q else AiCall.objects.none()


def sources(
    since: datetime, until: datetime, dims: tuple = (), filters: dict | None = None, step: timedelta | None = None
):
    """(raw calls, rollup rows or None) that together cover the window exactly once: whole
    rolled-up hours from the one rollup grain that keeps `dims` and `filters`, the rest raw. Grouped
    by hour into `step`-long buckets of a multiple of six hours, the whole days inside read their
    six-hour rows (grains "all" and "tenant")."""
    ranges, rolled = _plan(since, until)
    raw = _raw(ranges, filters)
    if rolled is None:
        return raw, None
    grain = grain_for(dims, filters)
    inner = None
    if "hour" in dims:
        six_hourly = step is not None and step % timedelta(hours=6) == timedelta(0) and grain in SIX_HOUR_GRAINS
        inner = SIX_HOURS if six_hourly else HOUR
    rollups = AiCallHourly.objects.filter(_periods(*rolled, inner=inner), grain=grain)
    return raw, filtered(rollups, filters).order_by()


def _periods(start: datetime, end: datetime, inner: str | None = None) -> Q:
    """Rollup rows covering the whole hours [start, end) once: rows of the `inner` period (day
    rows unless told) for the whole UTC days inside, hour rows for the rest."""
    first, last = ceil_day(start), floor_day(end)
    if inner == HOUR or first >= last:
        return Q(period=HOUR, hour__gte=start, hour__lt=end)
    edges = Q(hour__gte=start, hour__lt=first) | Q(hour__gte=last, hour__lt=end)
    return Q(period=inner or DAY, hour__gte=first, hour__lt=last) | (Q(period=HOUR) & edges)


def collect(
    since: datetime,
    until: datetime,
    dims: tuple = (),
    filters: dict | None = None,
    exact: bool = True,
    step: timedelta | None = None,
) -> dict[tuple, Totals]:
    """Totals per value of `dims` (a tuple of GROUPS names, optionally starting with "hour").
    Without `exact`, raw-only windows get histograms (mergeable) instead of exact percentiles.
    With a `step` (series), PostgreSQL merges the hourly rollup histograms per step-long bucket,
    filed under the bucket's first hour: the caller merges the hours of a bucket."""
    raw, rollups = sources(since, until, dims, filters, step)
    totals: dict[tuple, Totals] = defaultdict(Totals)
    if "hour" in dims:
        raw = raw.annotate(hour=TruncHour("timestamp"))
    _add_raw(totals, raw, dims)
    if rollups is None:
        if exact:
            _exact_percentiles(totals, raw, dims)
        else:
            for key, histogram in histograms_by(raw, dims).items():
                totals[key].histogram = histogram
        return totals
    _add_histograms_and_rollups(totals, raw, rollups, dims, step=step)
    return totals


def _add_histograms_and_rollups(totals, raw, rollups, dims, histograms: bool = True, step=None) -> None:
    """Merge the raw edges' latency histograms (when wanted) and the rollups into `totals`."""
    if histograms:
        for key, histogram in histograms_by(raw, dims).items():
            totals[key].histogram.merge(histogram)
    if connection.vendor == "postgresql":
        _add_rollups_in_database(totals, rollups, dims, step)
    else:
        _add_rollups(totals, rollups, dims)


def _add_raw(totals: dict, raw, dims: tuple) -> None:
    for r in raw.values(*dims, "status").annotate(**raw_sums()):
        totals[tuple(r[d] for d in dims)].add(r["status"], *(r[f"s_{name}"] for name in SUMS))


def _add_rollups(totals: dict, rollups, dims: tuple) -> None:
    fields = (
        "status",
        "count",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "cost_usd",
        "unpriced",
        "duration_sum",
        "histogram",
    )
    for row in rollups.order_by().values_list(*dims, *fields):
        key, values = tuple(row[: len(dims)]), row[len(dims) :]
        group = totals[key]
        group.add(*values[:-1])
        group.histogram.merge(LogHistogram.from_json(values[-1]))


def _add_rollups_in_database(totals: dict, rollups, dims: tuple, step: timedelta | None = None) -> None:
    """Sum rollups and merge their histograms in PostgreSQL: a few hundred rows come back
    instead of thousands of JSON documents (24 h over 5M calls: ~10k rollup rows)."""
    zeros = Sum(Cast(KeyTextTransform("z", "histogram"), IntegerField()))
    rows = rollups.values(*dims, "status").annotate(
        n=Sum("count"),
        pt=Sum("prompt_tokens"),
        ct=Sum("completion_tokens"),
        tt=Sum("total_tokens"),
        cost=Sum("cost_usd"),
        unpriced=Sum("unpriced"),
        dur=Sum("duration_sum"),
        z=zeros,
    )
    for r in rows:
        group = totals[tuple(r[d] for d in dims)]
        group.add(r["status"], r["n"], r["pt"], r["ct"], r["tt"], r["cost"], r["unpriced"], r["dur"])
        group.histogram.zeros += r["z"] or 0
    sql, params = rollups.values("id").query.sql_with_params()
    columns = "".join(f"{_column(d, step)} AS k{i}, " for i, d in enumerate(dims))
    keys = "".join(f"k{i}, " for i in range(len(dims)))
    with connections[rollups.db].cursor() as cursor:  # the replica in a replica_reads() scope
        # Durations are never negative, so only the positive buckets ("p") exist. The group
        # columns are computed once per rollup row, before its histogram is expanded.
        cursor.execute(
            f"SELECT {keys}b.key::int, SUM(b.value::bigint)::bigint FROM (SELECT {columns}h.histogram "  # noqa: S608
            f"FROM ailogs_aicallhourly h WHERE h.id IN ({sql})) AS h "
            f"CROSS JOIN LATERAL jsonb_each_text(h.histogram -> 'p') b GROUP BY {keys}b.key",
            params,
        )
        # step-long buckets come back as epoch seconds: parsing a timestamp per row (25,000 rows
        # over 30 days) took longer than the query
        epochs = [i for i, d in enumerate(dims) if _column(d, step) != _column(d, None)]
        starts: dict[int, datetime] = {}
        for *key, index, count in cursor.fetchall():
            for i in epochs:
                key[i] = starts.get(key[i]) or starts.setdefault(key[i], datetime.fromtimestamp(key[i], tz=UTC))
            positive = totals[tuple(key)].histogram.positive
            positive[index] = positive.get(index, 0) + count


def _column(dim: str, step: timedelta | None) -> str:
    column = f"h.{connection.ops.quote_name(dim)}"
    if dim != "hour" or step is None or step <= timedelta(hours=1):
        return column
    seconds = int(step.total_seconds())  # the start of the step-long bucket, as the dashboard's charts cut them
    return f"(extract(epoch FROM {column})::bigint / {seconds} * {seconds})"


def _exact_percentiles(totals: dict, raw, dims: tuple) -> None:
    if not dims:
        if totals:
            totals[()].exact = percentiles(raw, "duration_ms")
        return
    if len(dims) == 1:
        for value, result in grouped_percentiles(raw, dims[0], "duration_ms").items():
            totals[(value,)].exact = result
        return
    for key, histogram in histograms_by(raw, dims).items():  # series: per-hour histograms are enough
        totals[key].histogram = histogram


# --- the cross-app contract ----------------------------------------------------------------------


def window_stats(since: datetime, until: datetime, filters: dict | None = None) -> dict:
    """count, errors, error_rate (%), duration_ms {avg,p50,p95,p99}, tokens, cost_usd, unpriced."""
    return collect(since, until, (), filters).get((), Totals()).as_dict()


def active_sessions(since: datetime, until: datetime, tenant: str | None = None) -> int:
    """Distinct non-empty session ids seen in the window (of one tenant when given): exact, or
    approximate (distinct_is_approximate) when the window holds whole rolled-up days."""
    approximate = sketches.distinct(since, until, ("sessions",), tenant)
    if approximate is not None:
        return approximate[0]["sessions"]
    qs = AiCall.objects.filter(timestamp__gte=since, timestamp__lt=until).exclude(session_id="")
    if tenant is not None:
        qs = qs.filter(tenant=tenant)
    return qs.order_by().values("session_id").distinct().count()


def distinct_is_approximate(since: datetime, until: datetime) -> bool:
    """Whether distinct counts over this window (sessions, users, repeated inputs) come from
    HyperLogLog sketches: within 1.6 % (one standard error) instead of exact."""
    return sketches.whole_days(since, until) is not None


def distinct_per_day(since: datetime, until: datetime, kind: str) -> tuple[dict, bool]:
    """({UTC date: distinct non-empty values of `kind` (users, sessions)}, approximate): whole
    sketched days from their sketches, the partial days at the ends exact from raw rows."""
    field = sketches.KINDS[kind]
    days = sketches.whole_days(since, until)
    ranges = [(since, until)] if days is None else [(since, days[0]), (days[1], until)]
    result = {day.date(): counts[kind] for day, counts in sketches.per_day(since, until, (kind,)).items()}
    raw = _raw(ranges, None).exclude(**{field: ""})
    rows = raw.annotate(day=TruncDate("timestamp")).values("day").annotate(n=Count(field, distinct=True))
    result.update({row["day"]: row["n"] for row in rows})
    return dict(sorted(result.items())), days is not None


# --- for the API and the dashboard ---------------------------------------------------------------


def grouped_stats(since: datetime, until: datetime, group_by: str, filters: dict | None = None) -> dict[str, dict]:
    """{group value: stats} for group_by in GROUPS, largest groups first."""
    return stats_with_groups(since, until, group_by, filters)[1]


def stats_with_groups(
    since: datetime, until: datetime, group_by: str, filters: dict | None = None
) -> tuple[dict, dict[str, dict]]:
    """(window stats, {group value: stats}) from one pass when the window is served by rollups."""
    totals = collect(since, until, (group_by,), filters)
    ordered = sorted(totals.items(), key=lambda item: -item[1].count)
    groups = {key[0]: group.as_dict() for key, group in ordered}
    if _plan(since, until)[1] is None:  # exact window: percentiles of the whole need their own sort
        return window_stats(since, until, filters), groups
    whole = Totals()
    for group in totals.values():
        whole.merge(group)
    return whole.as_dict(), groups


def hourly_series(
    since: datetime, until: datetime, group_by: str | None = None, filters: dict | None = None
) -> list[dict]:
    """One point per hour (and group): the stats shape plus "hour" (and "group").

    Serves error rate, p50/p95/p99, tokens by model and cost per hour by tenant charts.
    """
    dims = ("hour", group_by) if group_by else ("hour",)
    points = []
    for key, group in sorted(
        collect(since, until, dims, filters).items(), key=lambda item: (item[0][0], str(item[0][1:]))
    ):
        point = {"hour": key[0], **group.as_dict()}
        if group_by:
            point["group"] = key[1]
        points.append(point)
    return points


def series(since: datetime, until: datetime, step: timedelta, filters: dict | None = None) -> list[dict]:
    """One point per `step` (a whole number of hours; buckets start at multiples of it since the
    epoch, like the dashboard's chart buckets): the stats shape plus "hour", the bucket's start.

    A 30-day chart has 6-hour buckets: reading one hour per bucket showed a sixth of the calls."""
    buckets: dict[datetime, Totals] = {}
    seconds = step.total_seconds()
    for (hour,), group in collect(since, until, ("hour",), filters, step <= timedelta(hours=1), step).items():
        start = datetime.fromtimestamp(hour.timestamp() // seconds * seconds, tz=UTC)
        buckets[start] = buckets[start].merge(group) if start in buckets else group
    return [{"hour": start, **group.as_dict()} for start, group in sorted(buckets.items())]


def success_rate_by_function(since: datetime, until: datetime, filters: dict | None = None) -> dict[str, float]:
    return {
        name: round(100.0 - stats["error_rate"], 4)
        for name, stats in grouped_stats(since, until, "function", filters).items()
    }


def cost_by_actor_type(since: datetime, until: datetime, tenant: str | None = None) -> dict[str, float]:
    """{actor type: cost} over the window (of one tenant when given, not ""): the whole rolled-up days
    from their actor-type rows (AiCallActorDay), the partial days at both ends from raw calls."""
    days = sketches.whole_days(since, until)
    ranges = [(since, until)] if days is None else [(since, days[0]), (days[1], until)]
    raw = _raw(ranges, {"tenant": tenant})
    costs: dict[str, float] = defaultdict(float)
    for actor, cost in (
        raw.values("actor_type").annotate(cost=capped_sum("cost_usd", MAX_COST_USD)).values_list("actor_type", "cost")
    ):
        costs[actor] += cost or 0.0
    if days is not None:
        rolled = AiCallActorDay.objects.filter(day__gte=days[0], day__lt=days[1]).order_by()
        if tenant:
            rolled = rolled.filter(tenant=tenant)
        for actor, cost in rolled.values("actor_type").annotate(cost=Sum("cost_usd")).values_list("actor_type", "cost"):
            costs[actor] += cost or 0.0
    return {actor: round(cost, 6) for actor, cost in costs.items()}


def top_errors(since: datetime, until: datetime, limit: int = 10, tenant: str = "") -> list[dict]:
    """Most frequent error messages with function, model, count and last seen (ties: the latest
    first), of one tenant's calls if `tenant` is given. Windows holding whole rolled-up days read
    those days' error rows (AiCallErrorDay) and the failed raw calls of the partial days at both
    ends, grouped together: the same figures."""
    filters = {"tenant": tenant} if tenant else {}
    days = sketches.whole_days(since, until)
    ranges = [(since, until)] if days is None else [(since, days[0]), (days[1], until)]
    raw = _raw(ranges, filters).exclude(status=Status.SUCCESS).values("error_message", "function", "model")
    if days is None:
        rows = raw.annotate(count=Count("id"), last_seen=Max("timestamp"))
        return list(rows.order_by("-count", "-last_seen", "error_message", "function", "model")[:limit])
    rolled = AiCallErrorDay.objects.filter(day__gte=days[0], day__lt=days[1], **filters).order_by()
    sql, params = rolled.values_list("error_message", "function", "model", "calls", "last_seen").query.sql_with_params()
    if not raw.query.is_empty():
        edge_sql, edge_params = raw.annotate(n=Count("id"), last=Max("timestamp")).query.sql_with_params()
        sql, params = f"{sql} UNION ALL {edge_sql}", (*params, *edge_params)
    query = (
        "SELECT error_message, function, model, SUM(calls) AS count, MAX(last_seen) AS last_seen "  # noqa: S608 (constants)
        f"FROM ({sql}) AS u GROUP BY error_message, function, model "
        "ORDER BY count DESC, last_seen DESC, error_message, function, model LIMIT %s"
    )
    with connections[rolled.db].cursor() as cursor:
        cursor.execute(query, (*params, limit))
        names = [c[0] for c in cursor.description]
        found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in found:
        row["count"], row["last_seen"] = int(row["count"]), _as_datetime(row["last_seen"])
    return found


def repeated_input_share(since: datetime, until: datetime, tenant: str | None = None) -> dict:
    """How many calls repeat an input already seen in the window (a cache would have served them).

    Over windows holding whole rolled-up days the distinct inputs are estimated ("approximate":
    True, 1.6 % standard error on the distinct count; `hashed` stays exact)."""
    approximate = sketches.distinct(since, until, ("inputs",), tenant)
    if approximate is not None:
        counts, hashed, _ = approximate
        distinct = min(counts["inputs"], hashed)
    else:
        qs = AiCall.objects.filter(timestamp__gte=since, timestamp__lt=until).exclude(input_hash="").order_by()
        if tenant is not None:
            qs = qs.filter(tenant=tenant)
        hashed = qs.count()
        distinct = qs.values("input_hash").distinct().count()
    repeated = hashed - distinct
    return {
        "hashed": hashed,
        "repeated": repeated,
        "share": round(100.0 * repeated / hashed, 4) if hashed else 0.0,
        "approximate": approximate is not None,
    }


# --- for alert evaluation: many rules, one query -------------------------------------------------

ALERT_STATS = ("count", "errors", "total_tokens", "cost_usd", "p95")


def alert_totals(
    since: datetime,
    until: datetime,
    dims: tuple[str, ...] = (),
    values: dict[str, list[str]] | None = None,
    needs: frozenset[str] | set[str] = frozenset(ALERT_STATS),
) -> dict[tuple, Totals]:
    """Mergeable Totals per value of `dims` over [since, until): one GROUP BY for every alert rule
    on this window, whatever it filters or groups on (the caller adds up the rows it matches).

    `dims` may be any AiCall columns (user_id and api_key too); `values` narrows a column to
    the values asked for (an IN list). `needs` names the statistics wanted, count and errors
    always: an error-rate rule costs no token or cost sums, and a duration histogram (p95 within
    1 %, the rollups' LogHistogram) is built only when a rule wants "p95". Windows longer than
    AILOGS_EXACT_WINDOW_HOURS read hourly rollups plus raw edges when the rollups keep `dims`.
    """
    narrow = {f"{d}__in": sorted(v) for d, v in (values or {}).items()}
    if _plan(since, until)[1] is not None and set(dims) <= set(GROUPS):
        return _alert_totals_from_rollups(since, until, dims, narrow, needs)
    raw = _raw([(since, until)], None).filter(**narrow)
    aggregates = {"n": Count("id"), "e": Count("id", filter=~Q(status=Status.SUCCESS))}
    if "total_tokens" in needs:
        aggregates["tt"] = Sum("total_tokens")
    if "cost_usd" in needs:
        aggregates["cost"] = capped_sum("cost_usd", MAX_COST_USD)
    in_one_scan = "p95" in needs and connection.vendor == "postgresql"
    if in_one_scan:  # the sums per duration bucket: one pass builds both (a second scan cost ~40 %)
        rows = raw.annotate(b=duration_bucket()).values(*dims, "b").annotate(**aggregates)
    else:
        rows = raw.values(*dims).annotate(**aggregates) if dims else [raw.aggregate(**aggregates)]
    totals: dict[tuple, Totals] = {}
    for row in rows:
        if row["n"]:
            key = tuple(row[d] for d in dims)
            group = totals.get(key) or totals.setdefault(key, Totals())
            group.count += row["n"]
            group.errors += row["e"]
            group.total_tokens += row.get("tt") or 0
            group.cost_usd += row.get("cost") or 0.0
            if in_one_scan:
                add_to_bucket(group.histogram, row["b"], row["n"])
    if "p95" in needs and not in_one_scan:
        for key, histogram in histograms_by(raw, dims).items():
            if key in totals:
                totals[key].histogram = histogram
    return totals


def _alert_totals_from_rollups(since, until, dims: tuple, narrow: dict, needs) -> dict[tuple, Totals]:
    raw, rollups = sources(since, until, dims, None)
    raw, rollups = raw.filter(**narrow), rollups.filter(**narrow)
    totals: dict[tuple, Totals] = defaultdict(Totals)
    _add_raw(totals, raw, dims)
    _add_histograms_and_rollups(totals, raw, rollups, dims, histograms="p95" in needs)
    return dict(totals)


# --- traces and sessions (read by the traces app) -----------------------------------------------

CALL_FIELDS = (
    "id",
    "event_id",
    "timestamp",
    "function",
    "model",
    "provider",
    "status",
    "duration_ms",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cost_usd",
    "error_message",
    "session_id",
    "user_id",
    "tenant",
    "trace_id",
    "metadata",
)


def calls_in_trace(trace_id: str, since: datetime | None = None, until: datetime | None = None) -> list[dict]:
    """Every AI call of one trace, oldest first. There is no index on trace_id (each one costs
    ingest speed): callers that know when the trace ran pass since/until, so the timestamp
    index narrows the scan to those minutes."""
    calls = AiCall.objects.filter(trace_id=trace_id)
    if since is not None:
        calls = calls.filter(timestamp__gte=since)
    if until is not None:
        calls = calls.filter(timestamp__lte=until)
    return list(calls.order_by("timestamp").values(*CALL_FIELDS))


def _activity() -> dict:
    """What a session or trace row sums up: calls, first / last seen, cost, tokens, errors."""
    return {
        "calls": Count("id"),
        "first_seen": Min("timestamp"),
        "last_seen": Max("timestamp"),
        "cost_usd": capped_sum("cost_usd", MAX_COST_USD),
        "total_tokens": Sum("total_tokens"),
        "errors": Count("id", filter=~Q(status=Status.SUCCESS)),
    }


SESSION_ORDERS = ("calls", "first_seen", "last_seen", "cost_usd", "total_tokens", "errors")


def sessions(
    since: datetime,
    until: datetime,
    filters: dict | None = None,
    order: str = "-last_seen",
    limit: int = 100,
    with_trace_ids: bool = False,
):
    """One row per session id over the window: traces, calls, first / last seen, cost, errors.

    `filters` may hold tenant, user_id and session_id (exact matches); `order` is one of
    SESSION_ORDERS, "-" first for descending. Windows holding whole rolled-up days read those days'
    session rows (AiCallSessionDay, one per session and day) and the raw calls of the partial days
    at both ends only, all grouped in one query: the same figures as grouping the raw calls (that
    took ~6 s over 30 days of 5M calls). Distinct traces are then counted for the `limit` kept;
    `with_trace_ids` also gives each row those traces' ids ("" standing for calls without one)."""
    if order.lstrip("-") not in SESSION_ORDERS:
        raise ValueError(f"unknown session order {order!r}")
    filters = {name: value for name, value in (filters or {}).items() if value}
    days = sketches.whole_days(since, until)
    if days is None:
        qs = AiCall.objects.filter(timestamp__gte=since, timestamp__lt=until).exclude(session_id="").filter(**filters)
        rows = qs.values("session_id").annotate(**_activity(), tenant=Max("tenant"), user_id=Max("user_id"))
        rows = list(rows.order_by(order, "session_id")[:limit])
    else:
        rows = _sessions_from_days(since, until, days, filters, order, limit)
    seen = _session_calls([r["session_id"] for r in rows], since, until, filters)
    traces: dict[str, set] = defaultdict(set)
    by_id = {r["session_id"]: r for r in rows}
    for session_id, trace_id, tenant, user_id in seen:
        traces[session_id].add(trace_id)
        if days is not None:  # tenant and user_id, MAX() as the raw path takes them, for the rows kept only
            row = by_id[session_id]
            row["tenant"], row["user_id"] = max(row["tenant"], tenant), max(row["user_id"], user_id)
    found = [{"session_id": r["session_id"], "traces": len(traces.get(r["session_id"], ())), **r} for r in rows]
    if with_trace_ids:
        for row in found:
            row["trace_ids"] = frozenset(traces.get(row["session_id"], ()))
    return found


# No MAX(tenant), MAX(user_id) here: comparing text under the collation for 1.7M rows (30 days of
# 60,000 sessions) cost ~40 % of the query; they are read for the kept rows afterwards.
_SESSION_SUMS = (
    "SUM(calls) AS calls, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen, SUM(cost_usd) AS cost_usd, "
    "SUM(total_tokens) AS total_tokens, SUM(errors) AS errors"
)


def _sessions_from_days(since, until, days, filters: dict, order: str, limit: int) -> list[dict]:
    """sessions() over a window with whole days: the session blocks inside it, the session rows of
    its other whole days, plus the raw calls of the edges, grouped by session id in one query
    (UNION ALL), ranked and cut there."""
    blocks = _session_blocks(*days)
    columns = ("session_id", "tenant", "user_id", "calls", "first_seen", "last_seen", "cost_usd", "total_tokens")
    parts = []
    start, outside = days[0], Q()
    for block, end in [*blocks, (days[1], days[1])]:  # the whole days outside the blocks read their day rows
        if start < block:
            outside |= Q(day__gte=start, day__lt=block)
        start = end
    if outside:
        rolled = AiCallSessionDay.objects.filter(outside, **filters).order_by()
        parts.append(rolled.values_list(*columns, "errors").query.sql_with_params())
    if blocks:
        covering = Q()
        for block, end in blocks:
            covering |= Q(day=block, days=(end - block).days)
        whole = AiCallSessionBlock.objects.filter(covering, **filters).order_by()
        parts.append(whole.values_list(*columns, "errors").query.sql_with_params())
    raw = _raw([(since, days[0]), (days[1], until)], None).exclude(session_id="").filter(**filters)
    if not raw.query.is_empty():  # one row per call, summed with the others (no grouping of its own)
        edges = raw.annotate(
            e_calls=Value(1),
            e_first=F("timestamp"),
            e_last=F("timestamp"),
            e_cost=Least(Coalesce("cost_usd", Value(0.0)), Value(float(MAX_COST_USD))),
            e_tokens=F("total_tokens"),
            e_errors=Case(When(status=Status.SUCCESS, then=Value(0)), default=Value(1)),
        )
        edge_columns = ("e_calls", "e_first", "e_last", "e_cost", "e_tokens", "e_errors")
        parts.append(edges.values_list(*columns[:3], *edge_columns).query.sql_with_params())
    sql = " UNION ALL ".join(part_sql for part_sql, _ in parts)
    params = tuple(p for _, part_params in parts for p in part_params)
    direction = "DESC" if order.startswith("-") else "ASC"
    query = (
        f"SELECT session_id, {_SESSION_SUMS} FROM ({sql}) AS u GROUP BY session_id "  # noqa: S608 (constants)
        f"ORDER BY {order.lstrip('-')} {direction}, session_id LIMIT %s"
    )
    db = AiCallSessionDay.objects.db
    with transaction.atomic(using=db), connections[db].cursor() as cursor:
        if connections[db].vendor == "postgresql":  # 60,000 sessions' sums in memory, not in temp files
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(query, (*params, limit))
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["first_seen"], row["last_seen"] = _as_datetime(row["first_seen"]), _as_datetime(row["last_seen"])
        row["cost_usd"], row["tenant"], row["user_id"] = float(row["cost_usd"] or 0.0), "", ""
        row["calls"], row["errors"], row["total_tokens"] = (
            int(row["calls"]),
            int(row["errors"]),
            int(row["total_tokens"] or 0),
        )
    return rows


def _session_blocks(first: datetime, last: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) of the session blocks inside the days [first, last) whose rows cover exactly
    their part of it: whole blocks, and the block `last` falls in when its rows sum its days up to
    `last` (they do once the rollup has run after the previous day ended). The other days read
    their day rows (also for a block without any session)."""
    start = block_start(first)
    start = start if start == first else start + BLOCK
    found = []
    while start < last:
        end = min(start + BLOCK, last)
        if AiCallSessionBlock.objects.filter(day=start, days=(end - start).days).exists():
            found.append((start, end))
        start += BLOCK
    return found


def _as_datetime(value) -> datetime:
    """SQLite hands MIN/MAX over a subquery back as text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _session_calls(session_ids: list[str], since, until, filters: dict | None = None) -> set:
    """Distinct (session_id, trace_id, tenant, user_id) of these sessions' calls in [since,
    until), trace_id "" for calls without one (sessions() counts it as one trace, as COUNT(DISTINCT)
    did): from the session rows of the whole days, and the raw calls of the rest."""
    if not session_ids:
        return set()
    filters = {name: value for name, value in (filters or {}).items() if value}
    days = sketches.whole_days(since, until)
    ranges = [(since, until)] if days is None else [(since, days[0]), (days[1], until)]
    raw = _raw(ranges, None).filter(session_id__in=session_ids, **filters)
    fields = ("session_id", "trace_id", "tenant", "user_id")
    found = set(raw.values_list(*fields).distinct()) if not raw.query.is_empty() else set()
    if days is not None:
        rolled = _session_days_of(session_ids, *days)
        for session_id, traces, tenant, user_id in rolled.filter(**filters).values_list(
            "session_id", "traces", "tenant", "user_id"
        ):
            found.update((session_id, trace_id, tenant, user_id) for trace_id in traces)
    return found


def session_traces(session_id: str) -> list[dict]:
    """The traces of one session in order: trace id, first / last call, calls, cost, errors. Read
    from the session's raw calls on the days it was active only (_session_calls_of)."""
    rows = _session_calls_of([session_id]).values("trace_id").annotate(**_activity(), function=Min("function"))
    return list(rows.order_by("first_seen"))


def session_trace_ids(session_ids: list[str]) -> set:
    """Distinct (session_id, trace_id) pairs of these sessions' calls that carry a trace id, from
    the first day raw retention keeps on (what a session's page shows, its raw calls): the session
    rows of the rolled-up days, the raw calls since. Bounded by retention because the rows are
    looked up day by day (100 sessions over 365 days took ~110 ms, over 29 days 20-29 ms)."""
    found = _session_calls(session_ids, retention.cutoffs()[0], datetime.max.replace(tzinfo=UTC))
    return {(session_id, trace_id) for session_id, trace_id, _, _ in found if trace_id}


def _session_days_of(session_ids: list[str], start: datetime, end: datetime):
    """The session rows of these sessions on the whole days [start, end) that have session rows,
    looked up day by day (their key index begins with the day, then the session id)."""
    first = AiCallSessionDay.objects.order_by("day").values_list("day", flat=True).first()
    if first is None:
        return AiCallSessionDay.objects.none()
    return AiCallSessionDay.objects.filter(day__in=days_of(max(start, first), end), session_id__in=session_ids)


def _session_calls_of(session_ids: list[str]):
    """The raw calls of these sessions at any time, read on the days they were active only: the
    raw table has no session index (one more index on the hottest insert path), and over 5M calls
    a scan of every call took 0.5-1.1 s. Those days come from the session rows of the rolled-up
    days that retention has not purged the calls of; every day not rolled up yet is read."""
    calls = AiCall.objects.filter(session_id__in=session_ids)
    frontier = rolled_through()
    if frontier is None:
        return calls
    rolled_days = floor_day(frontier)  # whole days before it have their session rows
    days = _session_days_of(session_ids, retention.cutoffs()[0], rolled_days)  # no raw calls left before
    ranges: list[list] = []
    for day in sorted(set(days.values_list("day", flat=True))):
        if ranges and ranges[-1][1] == day:  # consecutive days: one range
            ranges[-1][1] = day + timedelta(days=1)
        else:
            ranges.append([day, day + timedelta(days=1)])
    within = Q(timestamp__gte=rolled_days)
    for start, end in ranges:
        within |= Q(timestamp__gte=start, timestamp__lt=end)
    return calls.filter(within)
