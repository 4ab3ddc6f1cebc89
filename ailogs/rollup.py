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

from ailogs.models import AiCall, AiCallHourly, CostSource, RollupState
from monitoring_site.lib.histogram import _LOG_GAMMA, _MIN_MAGNITUDE, LogHistogram

KEYS = ("model", "function", "provider", "tenant", "status")
# Ids handed out by transactions still in flight when the last run read max(id).
ID_SLACK = 50_000


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


def touched_hours(after_id: int, up_to_id: int) -> list[datetime]:
    cutoff = timezone.now() - timedelta(days=settings.RETENTION_AI_LOGS_DAYS)
    rows = (
        AiCall.objects.filter(id__gt=after_id, id__lte=up_to_id, timestamp__gte=cutoff)
        .annotate(h=TruncHour("timestamp"))
        .order_by()
        .values_list("h", flat=True)
        .distinct()
    )
    return sorted(set(rows))


def rebuild_hour(hour: datetime) -> int:
    raw = AiCall.objects.filter(timestamp__gte=hour, timestamp__lt=hour + timedelta(hours=1)).order_by()
    histograms = histograms_by(raw, KEYS)
    sums = raw.values(*KEYS).annotate(
        n=Count("id"),
        pt=Sum("prompt_tokens"),
        ct=Sum("completion_tokens"),
        tt=Sum("total_tokens"),
        cost=Sum("cost_usd"),
        unpriced=Count("id", filter=Q(cost_source=CostSource.UNPRICED)),
        dur=Sum("duration_ms"),
    )
    rows = [_rollup_row(hour, s, histograms) for s in sums]
    AiCallHourly.objects.filter(hour=hour).delete()
    AiCallHourly.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _rollup_row(hour: datetime, s: dict, histograms: dict) -> AiCallHourly:
    key = tuple(s[k] for k in KEYS)
    return AiCallHourly(
        hour=hour,
        **dict(zip(KEYS, key, strict=True)),
        count=s["n"],
        prompt_tokens=s["pt"] or 0,
        completion_tokens=s["ct"] or 0,
        total_tokens=s["tt"] or 0,
        cost_usd=s["cost"] or 0.0,
        unpriced=s["unpriced"],
        duration_sum=s["dur"] or 0.0,
        histogram=histograms.get(key, LogHistogram()).to_json(),
    )


def histograms_by(raw, keys: tuple) -> dict[tuple, LogHistogram]:
    """Duration histograms per key. PostgreSQL buckets in SQL (one row per key x bucket)."""
    result: dict[tuple, LogHistogram] = defaultdict(LogHistogram)
    if connection.vendor != "postgresql":
        for *key, duration in raw.values_list(*keys, "duration_ms"):
            result[tuple(key)].add(duration)
        return result
    # Same index as LogHistogram._index: ceil(ln(v) / ln(gamma)); zeros get NULL.
    bucket = RawSQL("CASE WHEN duration_ms < %s THEN NULL ELSE ceil(ln(duration_ms) / %s)::int END", (_MIN_MAGNITUDE, _LOG_GAMMA))
    for *key, index, n in raw.annotate(b=bucket).values(*keys, "b").annotate(n=Count("id")).values_list(*keys, "b", "n"):
        histogram = result[tuple(key)]
        if index is None:
            histogram.zeros += n
        else:
            histogram.positive[index] = histogram.positive.get(index, 0) + n
    return result


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    floor = floor_hour(moment)
    return floor if floor == moment else floor + timedelta(hours=1)


def rolled_through() -> datetime | None:
    """Start of the first hour rollups may not yet cover completely."""
    state = RollupState.objects.filter(pk=1).only("ran_at").first()
    return floor_hour(state.ran_at) if state and state.ran_at else None

