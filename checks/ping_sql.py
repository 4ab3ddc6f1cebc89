"""PostgreSQL: the pings that change no status, each in one statement and one round trip.

A start (always), and a success of an up check on a period without the failure-rate option
(almost every ping): one UPDATE ... RETURNING feeding the ping's INSERT. The UPDATE takes the
row lock and, when another transaction changed the row first, re-checks its WHERE on the new
version, so a check that left "up" meanwhile is not matched and the general path
(checks.services) runs. No status changes here, so no flip; anything else takes the general path.

The same UPDATE counts the ping in the check's rate-limit window (`rate_minute`, `rate_count`)
and matches nothing once the window is full; the statement's answer then tells a full window
(429) from an unknown code (404) and from a ping for the general path, in the same round trip.
"""

import weakref
from datetime import datetime

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

from checks.models import MAX_RUN_TIME

STATEMENT = """
WITH u AS (
    UPDATE checks_check SET {set},
        rate_count = CASE WHEN rate_minute = {{minute}} THEN rate_count + 1 ELSE 1 END, rate_minute = {{minute}}
    WHERE code = {{code}} AND {where} AND (rate_minute <> {{minute}} OR rate_count < {{rate_limit}})
    RETURNING id, n_pings, {duration} AS duration
), stored AS (
    INSERT INTO checks_ping (owner_id, n, created_at, kind, exit_status, method, remote_addr, user_agent,
                             body, body_truncated, duration)
    SELECT id, n_pings, {{now}}, '{kind}', {{exit_status}}, {{method}}, {{remote_addr}}, {{user_agent}},
           {{body}}, {{body_truncated}}, duration
    FROM u
    RETURNING 1
)
SELECT CASE WHEN EXISTS (SELECT FROM stored) THEN 'stored' ELSE (
    SELECT CASE WHEN rate_minute = {{minute}} AND rate_count >= {{rate_limit}} THEN 'limited' ELSE 'other' END
    FROM checks_check WHERE code = {{code}}
) END
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
    "minute": "integer",
    "rate_limit": "integer",
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


STORED, LIMITED = "stored", "limited"  # record()'s answers besides None (unknown) and OTHER
OTHER = "other"  # the general path's: a status may change, or a full window's last ping raced in
NO_LIMIT = 2**31 - 1


def minute_of(now: datetime) -> int:
    """The rate-limit window a ping at `now` counts in: whole minutes since 1970."""
    return int(now.timestamp() // 60)


def record(code, data, now: datetime, rate_limit: int | None = None) -> str | None:
    """Store the ping in one statement: STORED, LIMITED (the check's minute is full, nothing
    written), None (no check has this code) or OTHER (the general path must run)."""
    if data.kind not in STATEMENTS or connection.vendor != "postgresql":
        return OTHER
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
        "minute": minute_of(now),
        "rate_limit": NO_LIMIT if rate_limit is None else rate_limit,
    }
    try:
        return _execute(data.kind, params)
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        connection.close()  # it went stale since the last request: once more on a new one
        return _execute(data.kind, params)


def _execute(kind: str, params: dict) -> str | None:
    # Django checks a reused connection with a SELECT 1 before a request's first statement: a
    # second round trip for a ping's one. Skipped: a stale connection fails this statement
    # instead, and record() runs it once more on a new connection.
    connection.health_check_done = True
    with connection.cursor() as cursor:
        if settings.DATABASE_POOLER == "pgbouncer":
            cursor.execute(UNPREPARED[kind], params)
        else:
            prepared = _prepared.setdefault(connection.connection, set())
            if kind not in prepared:
                cursor.execute(PREPARE[kind])
                prepared.add(kind)
            cursor.execute(EXECUTE[kind], list(params.values()))
        return cursor.fetchone()[0]
