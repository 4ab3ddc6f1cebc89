"""Prometheus counters for /metrics, summed from the hourly rollups at scrape time.

Rollups outlive raw rows (retention purges only raw calls), so these totals never decrease, and
reading them from the database makes them the same whichever web process is scraped. They lag
ingest by at most one rollup run (a minute).
"""

import logging

from django.db import DatabaseError
from django.db.models import Sum
from prometheus_client.core import CounterMetricFamily

from ailogs.models import AiCallHourly

logger = logging.getLogger(__name__)


class AiLogsCollector:
    def collect(self):
        events = CounterMetricFamily("ailogs_events", "AI calls ingested", labels=["status", "model"])
        tokens = CounterMetricFamily("ailogs_tokens", "Tokens used by AI calls", labels=["model"])
        cost = CounterMetricFamily("ailogs_cost_usd", "Cost of AI calls in USD", labels=["model"])
        by_status: dict = {}
        by_model: dict = {}
        try:
            rows = list(
                AiCallHourly.objects.filter(grain=AiCallHourly.Grain.MODEL, period=AiCallHourly.Period.HOUR)
                .order_by()
                .values("status", "model")
                .annotate(n=Sum("count"), t=Sum("total_tokens"), c=Sum("cost_usd"))
            )
        except DatabaseError as exc:  # a scrape must not fail with the database: report nothing
            logger.warning("ailogs metrics unavailable: %s", exc)
            return
        for row in rows:
            by_status[(row["status"], row["model"])] = row["n"] or 0
            t, c = by_model.get(row["model"], (0, 0.0))
            by_model[row["model"]] = (t + (row["t"] or 0), c + (row["c"] or 0.0))
        for (status, model), n in sorted(by_status.items()):
            events.add_metric([status, model], n)
        for model, (t, c) in sorted(by_model.items()):
            tokens.add_metric([model], t)
            cost.add_metric([model], c)
        yield from (events, tokens, cost)

    def describe(self):
        return []
