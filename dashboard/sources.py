"""The other apps' query functions, looked up lazily (a panel whose app has not shipped its
query shows "not available" instead of taking the whole dashboard down), and the section cache."""

import contextvars
import importlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.core.cache import cache
from django.db import connections

FRESH_SECONDS = 30  # a range's data is recomputed at most this often
KEEP_SECONDS = 600  # a stale copy is served (and refreshed behind it) up to this age
log = logging.getLogger(__name__)
_refresher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dashboard-refresh")


def query(app: str, name: str) -> Callable | None:
    try:
        module = importlib.import_module(f"{app}.queries")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app}.queries":
            raise
        return None
    return getattr(module, name, None)


def call(app: str, name: str, *args, **kwargs):
    function = query(app, name)
    return None if function is None else function(*args, **kwargs)


def cached(key: str, compute: Callable, force: bool = False):
    """Stale-while-revalidate: fresh data is reused for 30 s; older data is still answered at
    once while one background thread recomputes it, so only the very first view of a range
    waits for the long-range queries (seconds over millions of rows)."""
    key = f"dashboard:v2:{key}"
    hit = None if force else cache.get(key)
    if hit is None:
        return _store(key, compute)
    computed_at, value = hit
    if time.time() - computed_at > FRESH_SECONDS and cache.add(f"{key}:refreshing", 1, 120):
        # The copied context keeps the caller's replica_reads() scope in the pool thread.
        _refresher.submit(contextvars.copy_context().run, _refresh, key, compute)
    return value


def _store(key: str, compute: Callable):
    value = compute()
    cache.set(key, (time.time(), value), KEEP_SECONDS)
    return value


def _refresh(key: str, compute: Callable) -> None:
    try:
        _store(key, compute)
    except Exception:
        log.exception("refreshing %s failed; the stale copy stays", key)
    finally:
        cache.delete(f"{key}:refreshing")
        connections.close_all()  # this thread's own connections: never leave them open
