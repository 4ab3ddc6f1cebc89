"""Read replica: which reads may go to it, and the lag guard that sends them back to the primary.

Reads go to the replica only inside `replica_reads()` (the read-only pages and tasks: dashboard
panels and warmers, AI and metric stats and lists, CSV exports, reports, public status pages) and
only for the data apps below. Sign-in, sessions, API keys and every write stay on the primary, so a user or key
just created, or a key just revoked, is seen at once. Without DATABASE_REPLICA_URL nothing changes.
"""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
# Apps whose tables a read-only page may read a few seconds stale.
REPLICA_APPS = frozenset({"ailogs", "metrics", "feedback", "alerts", "dashboard", "traces", "checks", "incidents"})

_in_scope: ContextVar[bool] = ContextVar("replica_reads", default=False)

# Lag of the replica in seconds: 0 when it has replayed all it received from a live WAL stream
# (an idle primary writes nothing, so the last replay's age would grow without any lag).
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver)
        THEN 0
    ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
END
"""


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send the data apps' reads inside this block (or decorated function) to the replica."""
    token = _in_scope.set(True)
    try:
        yield
    finally:
        _in_scope.reset(token)


def configured() -> bool:
    return REPLICA in settings.DATABASES


def read_alias() -> str:
    """Return where a read in this scope goes: the replica when configured, in scope and fresh."""
    if not _in_scope.get() or not configured():
        return PRIMARY
    return REPLICA if replica_state().usable else PRIMARY


class ReplicaRouter:
    """Reads of the data apps in a `replica_reads()` scope -> replica; everything else -> primary."""

    def db_for_read(self, model, **hints) -> str:
        return read_alias() if model._meta.app_label in REPLICA_APPS else PRIMARY

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == PRIMARY  # a replica is read-only: it gets the schema by replication


@dataclass(frozen=True)
class ReplicaState:
    status: str  # connected | lagging | down
    lag_seconds: float | None
    error: str | None
    checked_at: float

    @property
    def usable(self) -> bool:
        return self.status == "connected"


_lock = threading.Lock()
_last: ReplicaState | None = None


def replica_state(force: bool = False) -> ReplicaState:
    """Return the replica's state, measured at most every DATABASE_REPLICA_CHECK_SECONDS per process."""
    global _last
    now = time.monotonic()
    last = _last
    if not force and last is not None and now - last.checked_at < settings.DATABASE_REPLICA_CHECK_SECONDS:
        return last
    state = measure()
    with _lock:
        if _last is not None and _last.status != state.status:
            log.warning(
                "read replica is %s (lag %s s): reads go to the %s",
                state.status,
                state.lag_seconds,
                "replica" if state.usable else "primary",
            )
        _last = state
    return state


def measure() -> ReplicaState:
    """Ask the replica how far behind it is (on this thread's replica connection)."""
    limit = settings.DATABASE_REPLICA_MAX_LAG_SECONDS
    now = time.monotonic()
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            lag = cursor.fetchone()[0]
    except Exception as exc:
        connections[REPLICA].close()  # a broken connection must not be reused by the next check
        return ReplicaState("down", None, f"{type(exc).__name__}: {str(exc).strip()[:160]}", now)
    if lag is None:  # still replaying, and no transaction replayed since it started
        return ReplicaState("lagging", None, "replaying WAL; lag unknown", now)
    lag = round(max(float(lag), 0.0), 3)
    if lag > limit:
        return ReplicaState("lagging", lag, f"{lag:g} s behind the primary (limit {limit:g} s)", now)
    return ReplicaState("connected", lag, None, now)
