"""Hourly and daily rollups of AI calls: rebuild every hour that received rows since the last run,
and every whole UTC day such an hour is in.

Idempotent: an hour is recomputed from its raw rows as a whole (delete + insert in one
transaction), and a day from its hour rows, so running twice, or concurrently, gives the same
table. The rows to look at are found by primary key (ids above the last run's high-water mark,
minus a slack for transactions that committed out of id order), which catches late events for old
hours without a second index. A day gets its rows once it has ended (before the run started);
days that have hour rows but no day rows (after an upgrade, or a run missed at midnight) are
filled in by the next run.

On PostgreSQL both are one INSERT ... SELECT per range (GROUPING SETS make every grain in one
pass, the histograms are written out as JSON text): nothing per call or per bucket travels to
Python. The backfill of 5M calls took 176 s in Python; with the session, actor-type and error rows
and the sketches built beside the hour and day rows, it takes 27-29 s on two connections
(docs/performance/dashboard.md).
"""

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from ailogs import sketches
from ailogs.models import (
    MAX_COST_USD,
    MAX_DURATION_MS,
    SESSION_BLOCK_DAYS,
    AiCall,
    AiCallActorDay,
    AiCallErrorDay,
    AiCallHourly,
    AiCallSessionBlock,
    AiCallSessionDay,
    CostSource,
    RollupState,
    Status,
    capped_sum,
)
from monitoring_site.lib.histogram import _LOG_GAMMA, _MIN_MAGNITUDE, LogHistogram

KEYS = ("model", "function", "provider", "tenant", "status")
SUMS = ("count", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "unpriced", "duration_sum")
HOUR, DAY, SIX_HOURS = AiCallHourly.Period.HOUR, AiCallHourly.Period.DAY, AiCallHourly.Period.SIX_HOURS
SIX_HOUR_GRAINS = (AiCallHourly.Grain.ALL, AiCallHourly.Grain.TENANT)  # the ones the charts read
# grain -> the dimensions its rows keep (status is always kept); see AiCallHourly.Grain.
GRAINS = {
    AiCallHourly.Grain.FULL: ("model", "function", "provider", "tenant"),
    AiCallHourly.Grain.MODEL: ("model",),
    AiCallHourly.Grain.FUNCTION: ("function",),
    AiCallHourly.Grain.PROVIDER: ("provider",),
    AiCallHourly.Grain.TENANT: ("tenant",),
    AiCallHourly.Grain.ALL: (),
}
# Ids handed out by transactions still in flight when the last run read max(id): a few
# 1,000-event batches. Live, these rows are minutes old, so the slack rebuilds the current hour.
ID_SLACK = 5_000
# PostgreSQL rebuilds at most this many hours per statement (a backfill: one day at a time, so
# the grouping stays in memory).
HOURS_PER_STATEMENT = 24
# Connections a run rebuilds its hour ranges, then its days, then its session blocks on at once
# (PostgreSQL, called outside a transaction): one INSERT ... SELECT runs on one core, so a day per
# core.
BACKFILL_WORKERS = 2


def run() -> dict:
    """Roll up what arrived since the last run; return {"hours": n, "days": n, "last_id": id}."""
    # Other connections see the raw rows only if the caller has committed them: outside a
    # transaction a backfill may rebuild its days on BACKFILL_WORKERS connections at once.
    workers = BACKFILL_WORKERS if connection.vendor == "postgresql" and not connection.in_atomic_block else 1
    with transaction.atomic():
        state, _ = RollupState.objects.select_for_update().get_or_create(pk=1)
        started = timezone.now()
        top = AiCall.objects.aggregate(top=Max("id"))["top"] or 0
        hours = touched_hours(state.last_id - ID_SLACK, top)
        days = rebuild(hours, floor_hour(started), workers)
        state.last_id, state.ran_at = top, started
        state.save()
    return {"hours": len(hours), "days": len(days), "last_id": top}


def rebuild_hours(hours) -> None:
    """Rebuild the given hours (and their days) now, serialised with the beat run (reprice uses it)."""
    with transaction.atomic():
        RollupState.objects.select_for_update().get_or_create(pk=1)
        rebuild(sorted(set(hours)), floor_hour(timezone.now()))


def rebuild(hours: list[datetime], ended_by: datetime, workers: int = 1) -> list[datetime]:
    """Rebuild these hours, then the days they are in that ended by `ended_by`, and the ended days
    still missing their day rows, then their session blocks; return the days rebuilt. A whole ended
    day among the hours (a backfill) gets its hour and day rows from one read of its raw rows.
    With `workers` > 1 and a whole day among the hours, the ranges, days and blocks are rebuilt on
    that many connections at once, each in its own transaction, each as soon as what it reads is
    rebuilt."""
    _tune_session()
    ranges = runs(hours, HOURS_PER_STATEMENT)
    whole = {
        start for start, end in ranges if start == floor_day(start) and end - start == DAY_LENGTH and end <= ended_by
    }
    days = ({floor_day(h) for h in hours} | missing_days()) - whole
    days = sorted(d for d in days if d + DAY_LENGTH <= ended_by)
    if not whole:  # a live run (an hour or two, a day at midnight): one transaction with the caller's
        workers = 1
    hour_jobs = [_Job(partial(rebuild_hour_range, s, e, with_day=s in whole), s, e) for s, e in ranges]
    day_jobs = [
        _Job(partial(rebuild_day_range, s, e), s, e, _overlapping(hour_jobs, s, e))
        for s, e in runs(days, 31, DAY_LENGTH)
    ]
    rebuilt = sorted(whole | set(days))
    block_jobs = [
        _Job(
            partial(rebuild_session_blocks, {b}, ended_by),
            b,
            b + BLOCK,
            _overlapping(hour_jobs + day_jobs, b, b + BLOCK),
        )
        for b in sorted({block_start(d) for d in rebuilt})
    ]
    # Oldest first, and a block as soon as its days are done: a backfill's last days are followed
    # by one block, not by all of them.
    _run([*block_jobs, *day_jobs, *hour_jobs], workers)
    return rebuilt


DAY_LENGTH = timedelta(days=1)


@dataclass(eq=False)
class _Job:
    """A rebuild of [start, end) that reads what the jobs in `after` write."""

    run: Callable[[], None]
    start: datetime
    end: datetime
    after: tuple["_Job", ...] = ()


def _overlapping(jobs: list[_Job], start: datetime, end: datetime) -> tuple[_Job, ...]:
    return tuple(job for job in jobs if job.start < end and start < job.end)


def _run(jobs: list[_Job], workers: int) -> None:
    """Run each job once the jobs it follows are done, the first such job in the list first: here,
    or on `workers` connections of their own, each job in its own transaction."""
    waiting: list[_Job] = list(jobs)
    done: set[_Job] = set()

    def ready() -> _Job | None:
        job = next((job for job in waiting if done.issuperset(job.after)), None)
        if job is not None:
            waiting.remove(job)
        return job

    if workers < 2 or len(jobs) < 2:
        while job := ready():
            job.run()
            done.add(job)
    else:
        with ThreadPoolExecutor(workers) as pool:
            running: dict = {}
            while True:
                while len(running) < workers and (job := ready()):
                    running[pool.submit(_in_worker, job.run)] = job
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    future.result()  # a worker's error is raised here
                    done.add(running.pop(future))
    if waiting:  # they follow a job that is not in the list: never skip work silently
        raise RuntimeError(f"{len(waiting)} rollup job(s) wait on jobs that were not given")


def _in_worker(job) -> None:
    """A backfill worker (its own thread, so its own connection): one job, committed."""
    try:
        with transaction.atomic():
            _tune_session()
            job()
    finally:
        connection.close()


def _tune_session() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")  # a day's grouping in memory, not in temp files


def runs(starts: list[datetime], most: int, step: timedelta = timedelta(hours=1)) -> list[tuple[datetime, datetime]]:
    """Sorted bucket starts as contiguous [start, end) ranges of at most `most` buckets, never
    across 00:00 UTC."""
    ranges: list[tuple[datetime, datetime]] = []
    for start in sorted(starts):
        joins = ranges and ranges[-1][1] == start and (start - ranges[-1][0]) < step * most
        if joins and (step >= timedelta(days=1) or start != floor_day(start)):
            ranges[-1] = (ranges[-1][0], start + step)
        else:
            ranges.append((start, start + step))
    return ranges


def touched_hours(after_id: int, up_to_id: int) -> list[datetime]:
    # Never rebuild an hour the retention purge may have cut into: its rollup would shrink, and
    # the Prometheus counters summed from rollups would go down.
    cutoff = ceil_hour(timezone.now() - timedelta(days=settings.RETENTION_AI_LOGS_DAYS))
    oldest = AiCall.objects.aggregate(first=Min("id"))["first"]
    if oldest is not None and after_id < oldest:  # a backfill: every hour from the first call to the last
        span = AiCall.objects.filter(timestamp__gte=cutoff).aggregate(lo=Min("timestamp"), hi=Max("timestamp"))
        if span["lo"] is None:
            return []
        first, hours = floor_hour(span["lo"]), int((span["hi"] - floor_hour(span["lo"])) / timedelta(hours=1))
        return [first + timedelta(hours=i) for i in range(hours + 1)]
    rows = (
        AiCall.objects.filter(id__gt=after_id, id__lte=up_to_id, timestamp__gte=cutoff)
        .annotate(h=TruncHour("timestamp"))
        .order_by()
        .values_list("h", flat=True)
        .distinct()
    )
    return sorted(set(rows))


def missing_days() -> set[datetime]:
    """Days that have hour rows but no day rows."""
    rows = AiCallHourly.objects.filter(grain=AiCallHourly.Grain.ALL).order_by()
    hour_days = rows.filter(period=HOUR).annotate(d=TruncDay("hour", tzinfo=UTC)).values_list("d", flat=True)
    return set(hour_days.distinct()) - set(rows.filter(period=DAY).values_list("hour", flat=True))


def raw_sums() -> dict:
    """What a rollup row adds up, as aggregates over raw calls named `s_<SUMS field>` (annotations
    may not shadow model fields). Stats over the raw edges of a window use the same definition."""
    return {
        "s_count": Count("id"),
        "s_prompt_tokens": Sum("prompt_tokens"),
        "s_completion_tokens": Sum("completion_tokens"),
        "s_total_tokens": Sum("total_tokens"),
        "s_cost_usd": capped_sum("cost_usd", MAX_COST_USD),
        "s_unpriced": Count("id", filter=Q(cost_source=CostSource.UNPRICED)),
        "s_duration_sum": capped_sum("duration_ms", MAX_DURATION_MS),
    }


def rebuild_hour_range(start: datetime, end: datetime, with_day: bool = False) -> None:
    """Replace the hour rows of [start, end) with what the raw rows give (and, `with_day`, the
    day rows and sketches of the whole UTC day [start, end))."""
    with transaction.atomic():  # readers see the old hours or the new ones, never a gap
        AiCallHourly.objects.filter(period=HOUR, hour__gte=start, hour__lt=end).delete()
        if connection.vendor != "postgresql":
            hour = start
            while hour < end:
                AiCallHourly.objects.bulk_create(_hour_rows(hour), batch_size=1000)
                hour += timedelta(hours=1)
            if with_day:
                rebuild_day_range(start, end)
            return
        if with_day:
            AiCallHourly.objects.filter(period=DAY, hour=start).delete()
        with connection.cursor() as cursor:
            # Group by hashing: the planner prices the string_agg states so high that it sorts the
            # ~200k hour x key x bucket rows of a day on seven keys first (a day's hour and day rows
            # of 167k calls: 1.03 s with that sort, 0.85 s without). For this statement only: at
            # most a day of hours, whose groups fit in work_mem.
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(HOURS_AND_DAY_SQL if with_day else HOURS_SQL, _params(start, end))
            cursor.execute("SET LOCAL enable_sort TO DEFAULT")
        if with_day:
            rebuild_six_hours(start, end)
            rebuild_session_days(start, end)  # the sketches read its session rows
            sketches.rebuild_days(start, end)


def rebuild_day_range(start: datetime, end: datetime) -> None:
    """Replace the day rows of [start, end) (whole UTC days) with the sums of their hour rows."""
    with transaction.atomic():
        AiCallHourly.objects.filter(period=DAY, hour__gte=start, hour__lt=end).delete()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(DAYS_FROM_HOURS_SQL, _params(start, end))
        else:
            AiCallHourly.objects.bulk_create(_day_rows(start, end), batch_size=1000)
        rebuild_six_hours(start, end)
        rebuild_session_days(start, end)  # the sketches read its session rows
        sketches.rebuild_days(start, end)


def rebuild_six_hours(start: datetime, end: datetime) -> None:
    """Replace the six-hour rows of the whole UTC days [start, end) with the merge of their hour
    rows of the SIX_HOUR_GRAINS (built with the day rows, so they cover the same days)."""
    AiCallHourly.objects.filter(period=SIX_HOURS, hour__gte=start, hour__lt=end).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(SIX_HOURS_SQL, _params(start, end))
        return
    groups: dict[tuple, dict] = {}
    hours = AiCallHourly.objects.filter(period=HOUR, grain__in=SIX_HOUR_GRAINS, hour__gte=start, hour__lt=end)
    for row in hours.values("hour", "grain", "tenant", "status", *SUMS, "histogram"):
        key = (six_hours_start(row["hour"]), row["grain"], row["tenant"], row["status"])
        group = groups.get(key) or groups.setdefault(key, {**dict.fromkeys(SUMS, 0), "histogram": LogHistogram()})
        for name in SUMS:
            group[name] += row[name] or 0
        group["histogram"].merge(LogHistogram.from_json(row["histogram"]))
    AiCallHourly.objects.bulk_create(
        AiCallHourly(
            period=SIX_HOURS,
            hour=key[0],
            grain=key[1],
            function="",
            tenant=key[2],
            status=key[3],
            **{**group, "histogram": group["histogram"].to_json()},
        )
        for key, group in groups.items()
    )


def six_hours_start(moment: datetime) -> datetime:
    utc = moment.astimezone(UTC)
    return utc.replace(hour=utc.hour - utc.hour % 6, minute=0, second=0, microsecond=0)


def block_start(day: datetime) -> datetime:
    """00:00 UTC of the first day of the session block (AiCallSessionBlock) holding this day."""
    number = (floor_day(day) - EPOCH) // timedelta(days=1)
    return EPOCH + timedelta(days=number - number % SESSION_BLOCK_DAYS)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BLOCK = timedelta(days=SESSION_BLOCK_DAYS)


def rebuild_session_blocks(blocks: set[datetime], ended_by: datetime) -> None:
    """Replace the rows of these session blocks with the sums of the session rows of their days
    that ended by `ended_by`."""
    for start in sorted(blocks):
        end = min(start + BLOCK, floor_day(ended_by))
        with transaction.atomic():
            AiCallSessionBlock.objects.filter(day=start).delete()
            if end <= start:
                continue
            days = (end - start).days
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(SESSION_BLOCK_SQL, {"start": start, "end": end, "days": days})
                continue
            sums = (
                AiCallSessionDay.objects.filter(day__gte=start, day__lt=end)
                .order_by()
                .values("tenant", "session_id", "user_id")
                .annotate(
                    s_calls=Sum("calls"),
                    s_errors=Sum("errors"),
                    s_cost_usd=Sum("cost_usd"),
                    s_total_tokens=Sum("total_tokens"),
                    s_first_seen=Min("first_seen"),
                    s_last_seen=Max("last_seen"),
                )
            )
            AiCallSessionBlock.objects.bulk_create(
                (
                    AiCallSessionBlock(
                        day=start,
                        days=days,
                        tenant=row["tenant"],
                        session_id=row["session_id"],
                        user_id=row["user_id"],
                        **{name: row[f"s_{name}"] for name in BLOCK_SUMS},
                    )
                    for row in sums
                ),
                batch_size=1000,
            )


BLOCK_SUMS = ("calls", "errors", "cost_usd", "total_tokens", "first_seen", "last_seen")


def rebuild_session_days(start: datetime, end: datetime) -> None:
    """Replace the session rows (AiCallSessionDay), actor-type rows (AiCallActorDay) and error rows
    (AiCallErrorDay) of the whole UTC days in [start, end) that retention has not cut into, from
    their raw calls: like the sketches, a day whose raw calls are purged keeps the rows it had.
    The session blocks of these days are rebuilt afterwards (rebuild_session_blocks)."""
    start = max(start, sketches._retained_from())
    if start >= end:
        return
    AiCallSessionDay.objects.filter(day__gte=start, day__lt=end).delete()
    AiCallActorDay.objects.filter(day__gte=start, day__lt=end).delete()
    AiCallErrorDay.objects.filter(day__gte=start, day__lt=end).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for day in days_of(start, end):
                for sql in (SESSION_DAYS_SQL, ACTOR_DAYS_SQL, ERROR_DAYS_SQL):
                    cursor.execute(sql, _params(day, day + DAY_LENGTH))
        return
    failed = (
        AiCall.objects.filter(timestamp__gte=start, timestamp__lt=end)
        .exclude(status=Status.SUCCESS)
        .order_by()
        .values_list("timestamp", "tenant", "function", "model", "error_message")
    )
    errors: dict[tuple, AiCallErrorDay] = {}
    for ts, *key in failed:
        day_key = (floor_day(ts), *key)
        row = errors.get(day_key) or errors.setdefault(
            day_key,
            AiCallErrorDay(
                day=day_key[0], tenant=key[0], function=key[1], model=key[2], error_message=key[3], last_seen=ts
            ),
        )
        row.calls += 1
        row.last_seen = max(row.last_seen, ts)
    AiCallErrorDay.objects.bulk_create(errors.values(), batch_size=1000)
    actors = (
        AiCall.objects.filter(timestamp__gte=start, timestamp__lt=end)
        .order_by()
        .values("tenant", "actor_type", "timestamp", "cost_usd")
    )
    by_actor: dict[tuple, AiCallActorDay] = {}
    for row in actors:
        key = (floor_day(row["timestamp"]), row["tenant"], row["actor_type"])
        actor = by_actor.get(key) or by_actor.setdefault(
            key, AiCallActorDay(day=key[0], tenant=key[1], actor_type=key[2])
        )
        actor.calls += 1
        actor.cost_usd += min(row["cost_usd"] or 0.0, float(MAX_COST_USD))
    AiCallActorDay.objects.bulk_create(by_actor.values(), batch_size=1000)
    raw = AiCall.objects.filter(timestamp__gte=start, timestamp__lt=end).exclude(session_id="").order_by()
    key = ("tenant", "session_id", "user_id")
    rows: dict[tuple, AiCallSessionDay] = {}
    traces: dict[tuple, set] = defaultdict(set)
    fields = ("timestamp", *key, "status", "cost_usd", "total_tokens", "trace_id")
    for ts, *k, status, cost, tokens, trace_id in raw.values_list(*fields):
        day_key = (floor_day(ts), *k)
        row = rows.get(day_key)
        if row is None:
            row = rows[day_key] = AiCallSessionDay(
                day=day_key[0], **dict(zip(key, k, strict=True)), first_seen=ts, last_seen=ts
            )
        row.calls += 1
        row.errors += status != Status.SUCCESS
        row.cost_usd += min(cost or 0.0, float(MAX_COST_USD))
        row.total_tokens += tokens or 0
        row.first_seen, row.last_seen = min(row.first_seen, ts), max(row.last_seen, ts)
        traces[day_key].add(trace_id)
    for day_key, row in rows.items():
        row.traces = sorted(traces[day_key])
    AiCallSessionDay.objects.bulk_create(rows.values(), batch_size=1000)


def _params(start: datetime, end: datetime) -> dict:
    return {
        "start": start,
        "end": end,
        "min": _MIN_MAGNITUDE,
        "log_gamma": _LOG_GAMMA,
        "max_cost": float(MAX_COST_USD),
        "max_duration": float(MAX_DURATION_MS),
    }


# PostgreSQL. A range's calls are grouped twice, each grouping kept small: `sums` (one row per
# bucket start x full key: calls and sums, as floats and ints: numeric sums were half the time) and
# `buckets` (one row per bucket start x full key x histogram bucket `b`, NULL for zeros: its calls).
# Every grain comes from both by GROUPING SETS (GROUPING() names the grain), and each grain row's
# histogram is its buckets written out as JSON text and cast once (jsonb_object_agg took 0.17 s more
# per day of 167k calls; with the sums beside every bucket the grouping took 0.1 s more). Hours are
# date_bin()'s (no time zone to consult per call); a day read from its calls is the statement's
# parameter, not a per-row date_trunc(..., 'UTC') (the day of 167k calls: 1.16 s before, 0.91 s).
_RAW_RANGE = 'FROM ailogs_aicall WHERE "timestamp" >= %(start)s AND "timestamp" < %(end)s'
_HOUR_OF_CALL = "date_bin('1 hour', \"timestamp\", TIMESTAMPTZ '2000-01-01 00:00:00+00')"
_SUMS_OF_RAW = f"""
    SELECT {_HOUR_OF_CALL} AS t, model, function, provider, tenant, status, count(*)::int AS c,
        sum(prompt_tokens)::float8 AS pt, sum(completion_tokens)::float8 AS ct, sum(total_tokens)::float8 AS tt,
        sum(LEAST(COALESCE(cost_usd, 0.0), %(max_cost)s)) AS cost,
        (count(*) FILTER (WHERE cost_source = 'unpriced'))::int AS unpriced,
        sum(LEAST(COALESCE(duration_ms, 0.0), %(max_duration)s)) AS dur
    {_RAW_RANGE} GROUP BY 1, 2, 3, 4, 5, 6
"""
_BUCKETS_OF_RAW = f"""
    SELECT {_HOUR_OF_CALL} AS t, model, function, provider, tenant, status,
        CASE WHEN duration_ms < %(min)s THEN NULL ELSE ceil(ln(duration_ms) / %(log_gamma)s)::int END AS b,
        count(*)::int AS n
    {_RAW_RANGE} GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
_KEYS = "model, function, provider, tenant, status"
_SUM_COLUMNS = "sum(c) AS c, sum(pt) AS pt, sum(ct) AS ct, sum(tt) AS tt, sum(cost) AS cost, sum(unpriced) AS unpriced, sum(dur) AS dur"
# The one day [start, end) from its hour groups.
_SUMS_OF_DAY = f"SELECT %(start)s::timestamptz AS t, {_KEYS}, {_SUM_COLUMNS} FROM {{src}} GROUP BY {_KEYS}"  # noqa: S608 (constants)
_BUCKETS_OF_DAY = f"SELECT %(start)s::timestamptz AS t, {_KEYS}, b, sum(n) AS n FROM {{src}} GROUP BY {_KEYS}, b"  # noqa: S608
# Whole days from their full-grain hour rows (when their raw rows are not read anyway); the
# zeros' row of every key is there even when it holds none, so every key of `sums` has buckets.
_HOUR_ROWS_WHERE = "period = 'hour' AND grain = 'full' AND hour >= %(start)s AND hour < %(end)s"
_DAY_OF_ROW = "date_trunc('day', hour, 'UTC')"
_SUMS_OF_HOURS = f"""
    SELECT {_DAY_OF_ROW} AS t, {_KEYS}, sum(count) AS c, sum(prompt_tokens)::float8 AS pt,
        sum(completion_tokens)::float8 AS ct, sum(total_tokens)::float8 AS tt, sum(cost_usd) AS cost,
        sum(unpriced) AS unpriced, sum(duration_sum) AS dur
    FROM ailogs_aicallhourly WHERE {_HOUR_ROWS_WHERE} GROUP BY 1, 2, 3, 4, 5, 6
"""  # noqa: S608 (constants)
_BUCKETS_OF_HOURS = f"""
    SELECT {_DAY_OF_ROW} AS t, {_KEYS}, e.key::int AS b, sum(e.value::bigint) AS n
    FROM ailogs_aicallhourly CROSS JOIN LATERAL jsonb_each_text(histogram -> 'p') AS e
    WHERE {_HOUR_ROWS_WHERE} GROUP BY 1, 2, 3, 4, 5, 6, 7
    UNION ALL
    SELECT {_DAY_OF_ROW}, {_KEYS}, NULL::int, sum(COALESCE((histogram ->> 'z')::bigint, 0))
    FROM ailogs_aicallhourly WHERE {_HOUR_ROWS_WHERE} GROUP BY 1, 2, 3, 4, 5, 6
"""  # noqa: S608 (constants)
_GRAIN = "GROUPING(model, function, provider, tenant)"
_COARSE = ("model", "function", "provider", "tenant", None)
_GRAIN_KEYS = "COALESCE(model, ''), COALESCE(function, ''), COALESCE(provider, ''), COALESCE(tenant, ''), status"


def _grouping_sets(*always: str) -> str:
    return ", ".join(f"({', '.join(('t', 'status', *always, *((dim,) if dim else ())))})" for dim in _COARSE)


# `sums` and `buckets` already hold one row per full key (and bucket): the full grain is their
# rows as they are.
_INSERT = f"""
INSERT INTO ailogs_aicallhourly (period, hour, grain, model, function, provider, tenant, status, count,
    prompt_tokens, completion_tokens, total_tokens, cost_usd, unpriced, duration_sum, histogram)
SELECT '{{period}}', s.t,
    CASE s.g WHEN 0 THEN 'full' WHEN 7 THEN 'model' WHEN 11 THEN 'function' WHEN 13 THEN 'provider'
        WHEN 14 THEN 'tenant' ELSE 'all' END,
    s.model, s.function, s.provider, s.tenant, s.status, s.c, s.pt::bigint, s.ct::bigint, s.tt::bigint, s.cost,
    s.unpriced, s.dur,
    jsonb_build_object('p', COALESCE(('{{{{' || h.p || '}}}}')::jsonb, '{{{{}}}}'::jsonb), 'n', '{{{{}}}}'::jsonb, 'z', COALESCE(h.z, 0))
FROM (
    SELECT t, 0 AS g, {_KEYS}, c, pt, ct, tt, cost, unpriced, dur FROM {{sums}}
    UNION ALL
    SELECT t, {_GRAIN}, {_GRAIN_KEYS}, {_SUM_COLUMNS} FROM {{sums}} GROUP BY GROUPING SETS ({_grouping_sets()})
) AS s LEFT JOIN (
    SELECT t, g, {_KEYS}, string_agg('"' || b || '":' || n, ',') FILTER (WHERE b IS NOT NULL AND n > 0) AS p,
        sum(n) FILTER (WHERE b IS NULL) AS z
    FROM (
        SELECT t, 0 AS g, {_KEYS}, b, n FROM {{buckets}}
        UNION ALL
        SELECT t, {_GRAIN}, {_GRAIN_KEYS}, b, sum(n) FROM {{buckets}} GROUP BY GROUPING SETS ({_grouping_sets("b")})
    ) AS per_bucket GROUP BY t, g, {_KEYS}
) AS h USING (t, g, {_KEYS})
"""  # noqa: S608 (constants)


def _insert(period: str, sums: str, buckets: str) -> str:
    return _INSERT.format(period=period, sums=sums, buckets=buckets)


_RAW_GROUPS = f"sums AS MATERIALIZED ({_SUMS_OF_RAW}), buckets AS MATERIALIZED ({_BUCKETS_OF_RAW})"
HOURS_SQL = f"WITH {_RAW_GROUPS} {_insert(HOUR, 'sums', 'buckets')}"
# A whole ended day read from raw rows once: its hour rows, and its day rows from the same groups.
HOURS_AND_DAY_SQL = (
    f"WITH {_RAW_GROUPS}, hours AS ({_insert(HOUR, 'sums', 'buckets')}), "
    f"day_sums AS MATERIALIZED ({_SUMS_OF_DAY.format(src='sums')}), "
    f"day_buckets AS MATERIALIZED ({_BUCKETS_OF_DAY.format(src='buckets')}) "
    f"{_insert(DAY, 'day_sums', 'day_buckets')}"
)
DAYS_FROM_HOURS_SQL = (
    f"WITH sums AS MATERIALIZED ({_SUMS_OF_HOURS}), buckets AS MATERIALIZED ({_BUCKETS_OF_HOURS}) "
    f"{_insert(DAY, 'sums', 'buckets')}"
)


# The session, actor-type and error rows of the one UTC day [start, end), straight from its raw
# calls (sums as in raw_sums); the day is the statement's parameter. A session's trace ids are
# grouped first (a hash, where jsonb_agg(DISTINCT) sorted every call) and handed to the session's
# row in order, written out as JSON text (to_json quotes them) and cast once: 0.69 s before for
# the 56k session rows of 167k calls, 0.52 s after.
SESSION_DAYS_SQL = """
INSERT INTO ailogs_aicallsessionday (day, tenant, session_id, user_id, calls, errors, cost_usd, total_tokens,
    first_seen, last_seen, traces)
SELECT %(start)s, tenant, session_id, user_id, sum(c), sum(e), sum(cost), sum(tokens), min(first), max(last),
    ('[' || string_agg(to_json(trace_id)::text, ',') || ']')::jsonb
FROM (
    SELECT tenant, session_id, user_id, trace_id, count(*) AS c, count(*) FILTER (WHERE status <> 'success') AS e,
        sum(LEAST(COALESCE(cost_usd, 0.0), %(max_cost)s)) AS cost, COALESCE(sum(total_tokens), 0) AS tokens,
        min("timestamp") AS first, max("timestamp") AS last
    FROM ailogs_aicall WHERE "timestamp" >= %(start)s AND "timestamp" < %(end)s AND session_id <> ''
    GROUP BY 1, 2, 3, 4 ORDER BY session_id, tenant, user_id, trace_id
) AS per_trace
GROUP BY session_id, tenant, user_id
"""


ACTOR_DAYS_SQL = """
INSERT INTO ailogs_aicallactorday (day, tenant, actor_type, calls, cost_usd)
SELECT %(start)s, tenant, actor_type, count(*), sum(LEAST(COALESCE(cost_usd, 0.0), %(max_cost)s))
FROM ailogs_aicall WHERE "timestamp" >= %(start)s AND "timestamp" < %(end)s
GROUP BY tenant, actor_type
"""


# Of the failed calls only.
ERROR_DAYS_SQL = """
INSERT INTO ailogs_aicallerrorday (day, tenant, function, model, error_message, calls, last_seen)
SELECT %(start)s, tenant, function, model, error_message, count(*), max("timestamp")
FROM ailogs_aicall WHERE "timestamp" >= %(start)s AND "timestamp" < %(end)s AND NOT (status = 'success')
GROUP BY tenant, function, model, error_message
"""


# The six-hour rows of whole days from their hour rows of the grains "all" and "tenant" (a few
# hundred rows a day): sums per six hours, histogram buckets summed per six hours.
SIX_HOURS_SQL = """
INSERT INTO ailogs_aicallhourly (period, hour, grain, model, function, provider, tenant, status, count,
    prompt_tokens, completion_tokens, total_tokens, cost_usd, unpriced, duration_sum, histogram)
SELECT '6h', s.t, s.grain, '', '', '', s.tenant, s.status, s.c, s.pt, s.ct, s.tt, s.cost, s.unpriced, s.dur,
    jsonb_build_object('p', COALESCE(b.p, '{}'::jsonb), 'n', '{}'::jsonb, 'z', s.z)
FROM (
    SELECT date_trunc('day', hour, 'UTC') + floor(date_part('hour', hour AT TIME ZONE 'UTC') / 6) * interval '6 hours' AS t,
        grain, tenant, status, sum(count) AS c, sum(prompt_tokens) AS pt, sum(completion_tokens) AS ct,
        sum(total_tokens) AS tt, sum(cost_usd) AS cost, sum(unpriced) AS unpriced, sum(duration_sum) AS dur,
        COALESCE(sum((histogram ->> 'z')::bigint), 0) AS z
    FROM ailogs_aicallhourly
    WHERE period = 'hour' AND grain IN ('all', 'tenant') AND hour >= %(start)s AND hour < %(end)s
    GROUP BY 1, 2, 3, 4
) AS s LEFT JOIN (
    SELECT t, grain, tenant, status, jsonb_object_agg(k, n) AS p FROM (
        SELECT date_trunc('day', hour, 'UTC') + floor(date_part('hour', hour AT TIME ZONE 'UTC') / 6) * interval '6 hours' AS t,
            grain, tenant, status, e.key AS k, sum(e.value::bigint) AS n
        FROM ailogs_aicallhourly CROSS JOIN LATERAL jsonb_each_text(histogram -> 'p') AS e
        WHERE period = 'hour' AND grain IN ('all', 'tenant') AND hour >= %(start)s AND hour < %(end)s
        GROUP BY 1, 2, 3, 4, 5
    ) AS per_bucket GROUP BY 1, 2, 3, 4
) AS b USING (t, grain, tenant, status)
"""


# One block's rows from its days' session rows.
SESSION_BLOCK_SQL = """
INSERT INTO ailogs_aicallsessionblock (day, days, tenant, session_id, user_id, calls, errors, cost_usd,
    total_tokens, first_seen, last_seen)
SELECT %(start)s, %(days)s, tenant, session_id, user_id, sum(calls), sum(errors), sum(cost_usd), sum(total_tokens),
    min(first_seen), max(last_seen)
FROM ailogs_aicallsessionday WHERE day >= %(start)s AND day < %(end)s
GROUP BY tenant, session_id, user_id
"""


def _hour_rows(hour: datetime) -> list[AiCallHourly]:
    """SQLite: one hour's rows, summed and histogrammed in Python."""
    raw = AiCall.objects.filter(timestamp__gte=hour, timestamp__lt=hour + timedelta(hours=1)).order_by()
    histograms = histograms_by(raw, KEYS)
    sums = [{**s, **{name: s.pop(f"s_{name}") or 0 for name in SUMS}} for s in raw.values(*KEYS).annotate(**raw_sums())]
    for s in sums:
        s["histogram"] = histograms[tuple(s[k] for k in KEYS)]
    return [row for grain, dims in GRAINS.items() for row in _grain_rows(HOUR, hour, grain, dims, sums)]


def _day_rows(start: datetime, end: datetime) -> list[AiCallHourly]:
    """SQLite: the day rows of [start, end), merged in Python from the full-grain hour rows."""
    by_day = defaultdict(list)
    hours = AiCallHourly.objects.filter(period=HOUR, grain=AiCallHourly.Grain.FULL, hour__gte=start, hour__lt=end)
    for row in hours.values(*KEYS, *SUMS, "histogram", "hour"):
        row["histogram"] = LogHistogram.from_json(row["histogram"])
        by_day[floor_day(row.pop("hour"))].append(row)
    return [
        row
        for day, rows in by_day.items()
        for grain, dims in GRAINS.items()
        for row in _grain_rows(DAY, day, grain, dims, rows)
    ]


def _grain_rows(period: str, start: datetime, grain: str, dims: tuple, parts: list[dict]) -> list[AiCallHourly]:
    """Rows of one grain from full-key parts ({KEYS..., SUMS..., histogram})."""
    groups: dict[tuple, dict] = {}
    for part in parts:
        key = (*(part[d] for d in dims), part["status"])
        group = groups.get(key)
        if group is None:
            group = groups[key] = {**dict.fromkeys(SUMS, 0), "histogram": LogHistogram()}
        for name in SUMS:
            group[name] += part[name] or 0
        group["histogram"].merge(part["histogram"])
    return [
        AiCallHourly(
            period=period,
            hour=start,
            grain=grain,
            status=key[-1],
            **dict(zip(dims, key[:-1], strict=True)),
            **{**group, "histogram": group["histogram"].to_json()},
        )
        for key, group in groups.items()
    ]


def histograms_by(raw, keys: tuple) -> dict[tuple, LogHistogram]:
    """Duration histograms per key. PostgreSQL buckets in SQL (one row per key x bucket)."""
    result: dict[tuple, LogHistogram] = defaultdict(LogHistogram)
    if connection.vendor != "postgresql":
        for *key, duration in raw.values_list(*keys, "duration_ms"):
            result[tuple(key)].add(duration)
        return result
    for *key, index, n in (
        raw.annotate(b=duration_bucket()).values(*keys, "b").annotate(n=Count("id")).values_list(*keys, "b", "n")
    ):
        add_to_bucket(result[tuple(key)], index, n)
    return result


def duration_bucket() -> RawSQL:
    """PostgreSQL: a call's LogHistogram bucket, the same index as LogHistogram._index
    (ceil(ln(v) / ln(gamma))); zeros get NULL."""
    return RawSQL(
        "CASE WHEN duration_ms < %s THEN NULL ELSE ceil(ln(duration_ms) / %s)::int END", (_MIN_MAGNITUDE, _LOG_GAMMA)
    )


def add_to_bucket(histogram: LogHistogram, index: int | None, n: int) -> None:
    if index is None:
        histogram.zeros += n
    else:
        histogram.positive[index] = histogram.positive.get(index, 0) + n


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    floor = floor_hour(moment)
    return floor if floor == moment else floor + timedelta(hours=1)


def floor_day(moment: datetime) -> datetime:
    """00:00 UTC of the moment's UTC day."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def days_of(start: datetime, end: datetime) -> list[datetime]:
    """00:00 UTC of each day in [start, end) (both whole UTC days)."""
    return [start + timedelta(days=i) for i in range((end - start).days)]


def ceil_day(moment: datetime) -> datetime:
    floor = floor_day(moment)
    return floor if floor == moment else floor + timedelta(days=1)


def rolled_through() -> datetime | None:
    """Start of the first hour rollups may not yet cover completely (whole days before it have day rows)."""
    state = RollupState.objects.filter(pk=1).only("ran_at").first()
    return floor_hour(state.ran_at) if state and state.ran_at else None
