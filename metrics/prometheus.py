"""/metrics: the newest value of every collector series (system_*, db_*, celery_queue_depth...),
read from the database at scrape time so every web process answers the same."""

import logging
from datetime import timedelta

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from metrics.models import MetricSample

logger = logging.getLogger(__name__)
FRESH = timedelta(minutes=10)
EXPORTED = {
    "system_cpu_percent": "CPU use of the host, percent.",
    "system_memory_used_percent": "Memory used on the host, percent.",
    "system_disk_free_percent": "Free disk space under VAR_DIR, percent.",
    "db_roundtrip_ms": "Round-trip time of SELECT 1, milliseconds.",
    "db_connection_failures": "Database connection failures since the previous collection.",
    "celery_queue_depth": "Messages waiting in each Celery queue.",
    "celery_task_duration_seconds": "Duration of the most recent task of each kind, seconds.",
    "storage_used_bytes": "Bytes used by exports and uploads.",
    "active_sessions": "Distinct AI-call sessions in the last 30 minutes.",
}


def latest_values(now=None) -> dict[str, dict[tuple, float]]:
    """{name: {((tag, value), ...): newest value}} over the last ten minutes."""
    now = now or timezone.now()
    recent = MetricSample.objects.filter(name__in=EXPORTED, timestamp__gte=now - FRESH, timestamp__lte=now)
    latest: dict[str, dict[tuple, float]] = {name: {} for name in EXPORTED}
    for name, tags, value in recent.order_by("timestamp").values_list("name", "tags", "value"):
        latest[name][tuple(sorted(tags.items()))] = value
    return latest


class LatestValuesCollector:
    def collect(self):
        try:
            values = latest_values()
        except Exception as exc:  # a scrape must not fail because the database is down
            logger.warning("metrics collector unavailable: %s", exc)
            return
        for name, series in values.items():
            labels = sorted({key for tags in series for key, _ in tags})
            family = GaugeMetricFamily(name, EXPORTED[name], labels=labels)
            for tags, value in series.items():
                given = dict(tags)
                family.add_metric([given.get(label, "") for label in labels], value)
            yield family
