"""PostgreSQL: the pings that change no status, each in one statement and one round trip.

A start (always), and a success of an up check on a period without the failure-rate option
(almost every ping): one UPDATE ... RETURNING feeding the ping's INSERT. The UPDATE takes the
row lock and, when another transaction changed the row first, re-checks its WHERE on the new
version, so a check that left "up" meanwhile is not matched and the general path
(checks.services) runs. No status changes here, so no flip; anything else takes the general path.
"""

import weakref
from datetime import datetime

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

from checks.models import MAX_RUN_TIME

STATEMENT = """
WITH u AS (
    UPDATE checks_check SET {set} WHERE code = {{code}} AND {where}
    RETURNING id, n_pings, {duration} AS duration
)
INSERT INTO checks_ping (owner_id, n, created_at, kind, exit_status, method, remote_addr, user_agent,
                         body, body_truncated, duration)
SELECT id, n_pings, {{now}}, '{kind}', {{exit_status}}, {{method}}, {{remote_addr}}, {{user_agent}},
       {{body}}, {{body_truncated}}, duration
FROM u
"""
SUCCESS = STATEMENT.format(
    kind="success",
    set="""n_pings = n_pings + 1, last_ping = {now}, last_start = NULL, consecutive_failures = 0,
        last_duration = CASE WHEN last_start <= {now} AND {now} - last_start <= {max_run}
                             THEN {now} - last_start END,
        alert_after = {now} + make_interval(secs => period_seconds + grace_seconds)""",
    where="status = 'up' AND schedule = '' AND failure_rate_percent IS NULL",
    duration="last_duration",
)
START = STATEMENT.format(
    kind="start", set="n_pings = n_pings + 1, last_start = {now}", where="TRUE", duration="NULL::interval"
)
PARAMS = {
    "code": "uuid",
    "now": "timestamptz",
    "max_run": "interval",
    "exit_status": "smallint",
    "method": "varchar",
    "remote_addr": "inet",
    "user_agent": "varchar",
    "body": "text",
    "body_truncated": "boolean",
}
STATEMENTS = {"success": SUCCESS, "start": START}


def _prepare(name: str, statement: str) -> str:
    placeholders = {param: f"${i}" for i, param in enumerate(PARAMS, 1)}
    return f"PREPARE checks_ping_{name} ({', '.join(PARAMS.values())}) AS {statement.format(**placeholders)}"


# Prepared once per connection, so PostgreSQL plans each once: planning took as long as running.
PREPARE = {kind: _prepare(kind, statement) for kind, statement in STATEMENTS.items()}
EXECUTE = {kind: f"EXECUTE checks_ping_{kind} ({', '.join(['%s'] * len(PARAMS))})" for kind in STATEMENTS}
# Behind PgBouncer in transaction mode a prepared statement would be missing on the next server
# connection: there each statement is sent whole, with casts in place of the declared types.
UNPREPARED = {
    kind: statement.format(**{param: f"%({param})s::{type_}" for param, type_ in PARAMS.items()})
    for kind, statement in STATEMENTS.items()
}
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # raw connection -> kinds prepared


def record(code, data, now: datetime) -> bool:
    """Store the ping in one statement; False when it does not apply (then the general path runs)."""
    if data.kind not in STATEMENTS or connection.vendor != "postgresql":
        return False
    params = {
        "code": code,
        "now": now,
        "max_run": MAX_RUN_TIME,
        "exit_status": data.exit_status,
        "method": data.method,
        "remote_addr": data.remote_addr,
        "user_agent": data.user_agent[:200],
        "body": data.body,
        "body_truncated": data.body_truncated,
    }
    try:
        return _execute(data.kind, params)
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        connection.close()  # it went stale since the last request: once more on a new one
        return _execute(data.kind, params)


def _execute(kind: str, params: dict) -> bool:
    # Django checks a reused connection with a SELECT 1 before a request's first statement: a
    # second round trip for a ping's one. Skipped: a stale connection fails this statement
    # instead, and record() runs it once more on a new connection.
    connection.health_check_done = True
    with connection.cursor() as cursor:
        if settings.DATABASE_POOLER == "pgbouncer":
            cursor.execute(UNPREPARED[kind], params)
            return cursor.rowcount == 1
        prepared = _prepared.setdefault(connection.connection, set())
        if kind not in prepared:
            cursor.execute(PREPARE[kind])
            prepared.add(kind)
        cursor.execute(EXECUTE[kind], list(params.values()))
        return cursor.rowcount == 1
