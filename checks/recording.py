"""Monitor results and process starts as ordinary metrics, so rules (`metric:<name>`) and the
dashboard's metric views read them like any other: `monitor_up` (100 up / 0 down: its avg is the
uptime %), `monitor_response_ms` (its p95 is the response-time p95), `process_starts`."""

import logging
from datetime import datetime

from django.utils import timezone

logger = logging.getLogger(__name__)


def record(samples: list[dict], now: datetime | None = None) -> int:
    """Store metric samples through the metrics app's own validation; never raise (metrics may be absent)."""
    try:
        from metrics import ingest
    except ModuleNotFoundError:
        return 0
    now = now or timezone.now()
    bounds = ingest.Bounds.at(now)
    try:
        rows = [ingest.validate({"timestamp": now.isoformat(), "source": "checks", **s}, bounds) for s in samples]
        return ingest.store(rows)
    except Exception:
        logger.exception("could not record %d metric samples", len(samples))
        return 0


def monitor_samples(result) -> list[dict]:
    tags = {"monitor": result.monitor.slug}
    samples = [{"name": "monitor_up", "type": "gauge", "value": 100 if result.up else 0, "unit": "%", "tags": tags}]
    if result.response_ms is not None:
        samples.append(
            {"name": "monitor_response_ms", "type": "gauge", "value": result.response_ms, "unit": "ms", "tags": tags}
        )
    return samples


def record_process_start(kind: str) -> None:
    """Count one start of a web or worker process (`process_starts`, tag kind); never raises."""
    record([{"name": "process_starts", "type": "counter", "value": 1, "tags": {"kind": kind}}])
