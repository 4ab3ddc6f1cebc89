"""Celery task timings (task_prerun/task_postrun) and logins of this site's users.

Task durations are buffered in the worker process and written as `celery_task_duration_seconds`
samples (tag `task`) every FLUSH_EVERY tasks or FLUSH_SECONDS, and at worker process shutdown.
"""

import logging
import threading
import time

from django.utils import timezone

logger = logging.getLogger(__name__)
FLUSH_EVERY = 200
FLUSH_SECONDS = 30.0

_started: dict[str, float] = {}
_buffer: list[dict] = []
_lock = threading.Lock()
_last_flush = time.monotonic()


def task_started(task_id=None, **kwargs) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def task_finished(task_id=None, task=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    if started is None or task is None:
        return
    seconds = time.perf_counter() - started
    with _lock:
        _buffer.append(_row(task.name, seconds))
        due = len(_buffer) >= FLUSH_EVERY or time.monotonic() - _last_flush >= FLUSH_SECONDS
    if due:
        flush_task_timings()


def _row(task_name: str, seconds: float) -> dict:
    return {
        "name": "celery_task_duration_seconds",
        "type": "histogram",
        "value": seconds,
        "unit": "seconds",
        "tags": {"task": task_name[:200]},
        "source": "celery",
        "route": "",
        "timestamp": timezone.now(),
        "event_id": None,
    }


def flush_task_timings(**kwargs) -> int:
    global _last_flush
    from metrics.ingest import store

    with _lock:
        rows, _buffer[:] = list(_buffer), []
        _last_flush = time.monotonic()
    try:
        return store(rows)
    except Exception as exc:
        logger.warning("could not store %d task timings: %s", len(rows), exc)
        return 0


def user_logged_in(sender, request, user, **kwargs) -> None:
    """One `user_logins` sample per sign-in (usage analytics: daily active users)."""
    from metrics.models import MetricSample

    MetricSample.objects.create(name="user_logins", type="counter", value=1, tags={"user": str(user.pk)}, source="auth")


def connect() -> None:
    from celery import signals as celery_signals
    from django.contrib.auth import signals as auth_signals

    celery_signals.task_prerun.connect(task_started, dispatch_uid="metrics.task_started", weak=False)
    celery_signals.task_postrun.connect(task_finished, dispatch_uid="metrics.task_finished", weak=False)
    celery_signals.worker_process_shutdown.connect(flush_task_timings, dispatch_uid="metrics.flush_timings", weak=False)
    celery_signals.worker_shutdown.connect(flush_task_timings, dispatch_uid="metrics.flush_timings_main", weak=False)
    auth_signals.user_logged_in.connect(user_logged_in, dispatch_uid="metrics.user_logged_in")
