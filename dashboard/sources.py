"""The other apps' query functions, looked up lazily (a panel whose app has not shipped its
query shows "not available" instead of taking the whole dashboard down), and the section cache."""

import contextvars
import importlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import sentry_sdk
from django.core.cache import cache
from django.db import connections

KEY_PREFIX = "dashboard:v2:"  # of every cache key of the dashboard's
FRESH_SECONDS = 30  # a range's data is recomputed at most this often
KEEP_SECONDS = 600  # a stale copy is served (and refreshed behind it) up to this age
# A page's sections are built this many at a time: the cold 30-day AI tab is five sections of
# 0.06-0.5 s of PostgreSQL work each, and PostgreSQL works on one core per connection.
BUILD_THREADS = 2
# ... when they took this long together last time (or are expected to): each build thread opens
# a connection of its own (~13 ms), more than a tab of cheap sections gains from the second core.
PARALLEL_SECONDS = 0.1
log = logging.getLogger(__name__)
_refresher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dashboard-refresh")
_builders = ThreadPoolExecutor(max_workers=BUILD_THREADS, thread_name_prefix="dashboard-build")


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


def gather(functions: list[Callable], costs: list[float]) -> list:
    """Call each function; return their results in order. On PostgreSQL, when their `costs` (each
    one's last build time in seconds) add up to PARALLEL_SECONDS or more, they run on the build
    threads, the costliest first (the longest work must not start last), each on database
    connections of its own, closed when it is done. One after another in this thread otherwise,
    and inside a transaction (other connections could not see its uncommitted rows: the tests),
    and on SQLite (development: its in-memory test database is one connection shared with the
    live server's thread)."""
    if (
        len(functions) < 2
        or sum(costs) < PARALLEL_SECONDS
        or any(connections[a].vendor != "postgresql" or connections[a].in_atomic_block for a in connections)
    ):
        return [function() for function in functions]
    order = sorted(range(len(functions)), key=lambda i: -costs[i])
    # The copied context keeps the caller's replica_reads() scope and request id in the pool thread.
    futures = {i: _builders.submit(contextvars.copy_context().run, _closing, functions[i]) for i in order}
    try:
        return [futures[i].result() for i in range(len(functions))]
    except Exception as error:  # the page fails with this error, as it did one after another
        for future in futures.values():
            if not future.cancel():  # started: its own failure, if any, is logged, not lost
                future.add_done_callback(partial(_log_other_failure, error))
        raise


def _closing(function: Callable):
    # A scope of its own for Sentry: the copied context would share the request's with this thread.
    with sentry_sdk.new_scope():
        try:
            return function()
        finally:
            connections.close_all()


def _log_other_failure(raised: BaseException, future) -> None:
    error = future.exception()
    if error is not None and error is not raised:
        log.error("another section of the page failed too", exc_info=error)


def cached(key: str, compute: Callable, force: bool = False):
    """Stale-while-revalidate: fresh data is reused for 30 s; older data is still answered at
    once while one background thread recomputes it, so only the very first view of a range
    waits for the long-range queries (seconds over millions of rows)."""
    key = f"{KEY_PREFIX}{key}"
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
        with sentry_sdk.new_scope():  # not the scope of the request that was answered meanwhile
            _store(key, compute)
    except Exception:
        log.exception("refreshing %s failed; the stale copy stays", key)
    finally:
        cache.delete(f"{key}:refreshing")
        connections.close_all()  # this thread's own connections: never leave them open
