"""Hourly rollups of AI calls: rebuild every hour that received rows since the last run.

Idempotent: an hour is recomputed from its raw rows as a whole (delete + insert in one
transaction), so running twice, or concurrently, gives the same table. The rows to look at are
found by primary key (ids above the last run's high-water mark, minus a slack for transactions
that committed out of id order), which catches late events for old hours without a second index.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncHour
from django.utils import timezone

from ailogs.models import MAX_COST_USD, MAX_DURATION_MS, AiCall, AiCallHourly, CostSource, RollupState, capped_sum
from monitoring_site.lib.histogram import _LOG_GAMMA, _MIN_MAGNITUDE, LogHistogram

KEYS = ("model", "function", "provider", "tenant", "status")
SUMS = ("count", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "unpriced", "duration_sum")
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


def run() -> dict:
    """Roll up what arrived since the last run; return {"hours": n, "last_id": id}."""
    with transaction.atomic():
        state, _ = RollupState.objects.select_for_update().get_or_create(pk=1)
        started = timezone.now()
        top = AiCall.objects.aggregate(top=Max("id"))["top"] or 0
        hours = touched_hours(state.last_id - ID_SLACK, top)
        for hour in hours:
            rebuild_hour(hour)
        state.last_id, state.ran_at = top, started
        state.save()
    return {"hours": len(hours), "last_id": top}


def rebuild_hours(hours) -> None:
    """Rebuild the given hours now, serialised with the beat run (reprice uses it)."""
    with transaction.atomic():
        RollupState.objects.select_for_update().get_or_create(pk=1)
        for hour in sorted(set(hours)):
            rebuild_hour(hour)


def touched_hours(after_id: int, up_to_id: int) -> list[datetime]:
    # Never rebuild an hour the retention purge may have cut into: its rollup would shrink, and
    # the Prometheus counters summed from rollups would go down.
    cutoff = ceil_hour(timezone.now() - timedelta(days=settings.RETENTION_AI_LOGS_DAYS))
    rows = (
        AiCall.objects.filter(id__gt=after_id, id__lte=up_to_id, timestamp__gte=cutoff)
        .annotate(h=TruncHour("timestamp"))
        .order_by()
        .values_list("h", flat=True)
        .distinct()
    )
    return sorted(set(rows))


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


def rebuild_hour(hour: datetime) -> int:
    raw = AiCall.objects.filter(timestamp__gte=hour, timestamp__lt=hour + timedelta(hours=1)).order_by()
    histograms = histograms_by(raw, KEYS)
    sums = raw.values(*KEYS).annotate(**raw_sums())
    rows = [row for grain, dims in GRAINS.items() for row in _grain_rows(hour, grain, dims, sums, histograms)]
    with transaction.atomic():  # readers see the old hour or the new one, never a gap
        AiCallHourly.objects.filter(hour=hour).delete()
        AiCallHourly.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _grain_rows(hour: datetime, grain: str, dims: tuple, sums, histograms) -> list[AiCallHourly]:
    groups: dict[tuple, dict] = {}
    for s in sums:
        key = (*(s[d] for d in dims), s["status"])
        group = groups.get(key)
        if group is None:
            group = groups[key] = {**dict.fromkeys(SUMS, 0), "histogram": LogHistogram()}
        for name in SUMS:
            group[name] += s[f"s_{name}"] or 0
        group["histogram"].merge(histograms[tuple(s[k] for k in KEYS)])
    return [
        AiCallHourly(
            hour=hour,
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


def rolled_through() -> datetime | None:
    """Start of the first hour rollups may not yet cover completely."""
    state = RollupState.objects.filter(pk=1).only("ran_at").first()
    return floor_hour(state.ran_at) if state and state.ran_at else None
