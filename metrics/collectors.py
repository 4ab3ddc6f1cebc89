"""Collectors run by beat every minute; each returns samples as (name, value, tags, unit).

One failing collector never stops the others. Database connection failures are counted in the
process and reported with the next sample that can be written (a failure cannot be stored while
the database is down).
"""

import logging
import time
from datetime import timedelta
from pathlib import Path

import psutil
from django.conf import settings
from django.db import connection
from django.utils import timezone

from metrics.ingest import store
from metrics.models import MetricType

logger = logging.getLogger(__name__)
_db_failures = 0


def record_db_failure() -> None:
    global _db_failures
    _db_failures += 1


def system() -> list[tuple]:
    disk = psutil.disk_usage(str(settings.VAR_DIR))
    return [
        ("system_cpu_percent", psutil.cpu_percent(interval=0.5), {}, "percent"),
        ("system_memory_used_percent", psutil.virtual_memory().percent, {}, "percent"),
        ("system_disk_free_percent", round(disk.free / disk.total * 100, 3), {}, "percent"),
    ]


def database() -> list[tuple]:
    """Round-trip of SELECT 1; failures since the last report, then reset."""
    global _db_failures
    started = time.perf_counter()
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        record_db_failure()
        connection.close()
        raise
    roundtrip = (time.perf_counter() - started) * 1000
    failures, _db_failures = _db_failures, 0
    return [("db_roundtrip_ms", roundtrip, {}, "ms"), ("db_connection_failures", failures, {}, "")]


def queues() -> list[tuple]:
    from monitoring_site.queues import queue_depths

    return [("celery_queue_depth", depth, {"queue": queue}, "") for queue, depth in queue_depths().items()]


def storage() -> list[tuple]:
    folders = {"exports": settings.EXPORTS_DIR, "uploads": settings.MEDIA_ROOT}
    return [("storage_used_bytes", _folder_size(Path(path)), {"kind": kind}, "bytes") for kind, path in folders.items()]


def _folder_size(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def sessions() -> list[tuple]:
    """Distinct AI-call sessions in the last 30 minutes; skipped until ailogs provides it."""
    try:
        from ailogs.queries import active_sessions
    except ImportError:
        return []
    now = timezone.now()
    return [("active_sessions", active_sessions(now - timedelta(minutes=30), now), {}, "")]


COLLECTORS = (system, database, queues, storage, sessions)


def collect(now=None) -> dict[str, int]:
    """Run every collector and store their samples; return {collector: samples written}."""
    now = now or timezone.now()
    rows, written = [], {}
    for collector in COLLECTORS:
        try:
            samples = collector()
        except Exception as exc:
            logger.warning("metric collector %s failed: %s", collector.__name__, exc)
            samples = []
        written[collector.__name__] = len(samples)
        rows.extend(_row(name, value, tags, unit, now) for name, value, tags, unit in samples)
    store(rows)
    return written


def _row(name, value, tags, unit, now) -> dict:
    return {
        "name": name,
        "type": MetricType.GAUGE,
        "value": float(value),
        "unit": unit,
        "tags": tags,
        "source": "collector",
        "route": "",
        "timestamp": now,
        "event_id": None,
    }
