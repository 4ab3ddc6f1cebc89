"""Dependency checks shared by /api/health, /healthz, /status and the per-minute health sample."""

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import psutil
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from django.utils import timezone

STARTED_AT = time.time()
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")


def uptime_seconds() -> int:
    return int(time.time() - STARTED_AT)


def _with_timeout(check, timeout: float) -> dict:
    """Run a check in a worker thread and give up after `timeout` seconds."""
    future = _pool.submit(check)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        return {"status": "error", "error": f"timed out after {timeout:g} s"}
    except Exception as exc:  # a check must never take the endpoint down
        return {"status": "error", "error": _short(exc)}


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"[:200]


def check_database() -> dict:
    vendor = connection.vendor

    def probe() -> dict:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            return {"status": "connected", "type": vendor, "error": None}
        finally:
            connections.close_all()  # this runs in a pool thread: never leave its connection open

    result = _with_timeout(probe, settings.HEALTH_CHECK_TIMEOUT)
    result.setdefault("type", vendor)
    result.setdefault("error", None)
    return result


def check_cache() -> dict:
    if not settings.REDIS_URL:
        return {"status": "connected", "type": "locmem", "error": None}

    def probe() -> dict:
        cache.set("health:probe", "1", 10)
        if cache.get("health:probe") != "1":
            raise RuntimeError("value written was not read back")
        return {"status": "connected", "type": "redis", "error": None}

    result = _with_timeout(probe, settings.HEALTH_CHECK_TIMEOUT)
    result.setdefault("type", "redis")
    result.setdefault("error", None)
    return result


def broker_type() -> str:
    return settings.CELERY_BROKER_URL.split(":", 1)[0] or "unknown"


def check_broker() -> dict:
    kind = broker_type()
    if kind == "filesystem":
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        ok = folder.is_dir() and shutil.disk_usage(folder).free > 0
        return {"status": "connected" if ok else "error", "type": kind, "error": None if ok else f"{folder} missing"}

    def probe() -> dict:
        from kombu import Connection

        with Connection(settings.CELERY_BROKER_URL, connect_timeout=settings.HEALTH_CHECK_TIMEOUT) as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_CHECK_TIMEOUT)
        return {"status": "connected", "type": kind, "error": None}

    result = _with_timeout(probe, settings.HEALTH_CHECK_TIMEOUT + 0.5)
    result.setdefault("type", kind)
    result.setdefault("error", None)
    return result


def check_scheduler() -> dict:
    from monitoring_site.models import Heartbeat

    beats = dict(Heartbeat.objects.filter(name__in=("scheduler", "alerts.evaluate")).values_list("name", "last_run"))
    beat = beats.get("scheduler")
    if beat is None:
        return {"status": "never_run", "last_run": None}
    # Alert evaluation is the dead man's switch too: with rules to evaluate, it must have run lately.
    evaluated = beats.get("alerts.evaluate")
    late = timezone.now() - settings.SCHEDULER_STALE_AFTER
    stale = beat < late or (evaluated < late if evaluated else _enabled_alert_rules())
    return {
        "status": "stale" if stale else "ok",
        "last_run": beat.isoformat(),
        "alerts_evaluated": evaluated.isoformat() if evaluated else None,
    }


def _enabled_alert_rules() -> bool:
    try:
        return apps.get_model("alerts", "AlertRule").objects.filter(enabled=True).exists()
    except LookupError:
        return False


def notification_channel_count() -> int | None:
    """Enabled notification channels, or None while the alerts app has no channel model."""
    try:
        model = apps.get_model("alerts", "NotificationChannel")
    except LookupError:
        return None
    return model.objects.filter(enabled=True).count()


def system_info() -> dict:
    memory = psutil.virtual_memory()
    disk = shutil.disk_usage(settings.VAR_DIR)
    return {
        "memory_used_percent": round(memory.percent, 1),
        "memory_available_mb": round(memory.available / 1024 / 1024, 1),
        "disk_free_percent": round(disk.free / disk.total * 100, 1),
    }


def limitations(scheduler: dict) -> list[str]:
    """What makes the site "limited": up, but unable to do part of its job (alerting)."""
    notes = []
    if scheduler["status"] != "ok":
        notes.append("scheduler has not run in the last 3 minutes")
    if notification_channel_count() == 0:
        notes.append("no notification channel is configured")
    return notes


def full_health() -> tuple[dict, int]:
    """Return the /api/health body and its HTTP status."""
    database = check_database()
    cache_status = check_cache()
    broker = check_broker()
    scheduler = {"status": "unknown", "last_run": None}
    notes = []
    if database["status"] == "connected":
        scheduler = check_scheduler()
        notes = limitations(scheduler)
    redis_configured = bool(settings.REDIS_URL)
    redis_down = redis_configured and (
        cache_status["status"] != "connected" or (broker["type"] == "redis" and broker["status"] != "connected")
    )
    if database["status"] != "connected" or redis_down:
        status = "degraded"
    elif notes:
        status = "limited"
    else:
        status = "healthy"
    body = {
        "status": status,
        "version": settings.VERSION,
        "timestamp": timezone.now().isoformat(),
        "uptime_seconds": uptime_seconds(),
        "services": {"database": database, "cache": cache_status, "broker": broker, "scheduler": scheduler},
        "system": system_info(),
        "environment": {"debug": settings.DEBUG, "log_level": settings.LOG_LEVEL},
    }
    if notes:
        body["notes"] = notes
    return body, 503 if status == "degraded" else 200


def readiness() -> tuple[dict, int]:
    """Return the /healthz body: database and (when configured) Redis must answer."""
    database = check_database()
    redis = "not_configured"
    ok = database["status"] == "connected"
    if settings.REDIS_URL:
        redis_ok = check_cache()["status"] == "connected"
        redis = "connected" if redis_ok else "error"
        ok = ok and redis_ok
    body = {
        "status": "ok" if ok else "error",
        "uptimeSeconds": uptime_seconds(),
        "database": "connected" if database["status"] == "connected" else "error",
        "redis": redis,
    }
    return body, 200 if ok else 503
