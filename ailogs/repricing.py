"""Recompute computed costs after a price change; client-reported costs are never touched."""

from datetime import datetime

from django.db import transaction

from ailogs.models import AiCall, CostSource
from ailogs.pricing import clear_cache, price_book

BATCH = 5_000


def reprice(since: datetime, stdout=None) -> dict[str, int]:
    """Re-cost every computed or unpriced call since `since`; return {"changed", "unpriced"}.

    The hours of changed rows are rebuilt here: the rollup run only looks at new ids.
    """
    from ailogs.rollup import floor_hour, rebuild_hours

    clear_cache()
    book = price_book()
    qs = AiCall.objects.filter(timestamp__gte=since).exclude(cost_source=CostSource.REPORTED).order_by("pk")
    changed, hours, last = 0, set(), 0
    while True:
        batch = list(
            qs.filter(pk__gt=last).only(
                "pk",
                "timestamp",
                "provider",
                "model",
                "prompt_tokens",
                "completion_tokens",
                "metadata",
                "cost_usd",
                "cost_source",
            )[:BATCH]
        )
        if not batch:
            break
        last = batch[-1].pk
        updated = [call for call in batch if _recost(call, book)]
        with transaction.atomic():
            AiCall.objects.bulk_update(updated, ["cost_usd", "cost_source"], batch_size=1000)
        changed += len(updated)
        hours.update(floor_hour(call.timestamp) for call in updated)
    rebuild_hours(hours)
    unpriced = AiCall.objects.filter(timestamp__gte=since, cost_source=CostSource.UNPRICED).count()
    return {"changed": changed, "unpriced": unpriced, "hours": len(hours)}


def _recost(call: AiCall, book) -> bool:
    cached = (call.metadata or {}).get("cached_tokens")
    cached = cached if isinstance(cached, int) and not isinstance(cached, bool) else 0
    cost, source = book.cost(
        call.provider, call.model, call.timestamp, call.prompt_tokens, call.completion_tokens, cached
    )
    if (cost, source) == (call.cost_usd, call.cost_source):
        return False
    call.cost_usd, call.cost_source = cost, source
    return True
