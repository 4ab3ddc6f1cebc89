"""State changes of checks: a ping arriving, and the sweep that finds the late ones.

Both run under a row lock (the ping) or a conditional update (the sweep), so a ping and the sweep
racing on one check never both flip it, and every flip is stored exactly once.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from checks import ping_sql
from checks.models import MAX_RUN_TIME, Check, Flip, Ping, Status


@dataclass
class PingData:
    kind: str  # success | start | fail
    exit_status: int | None = None
    method: str = "GET"
    remote_addr: str | None = None
    user_agent: str = ""
    body: str = ""
    body_truncated: bool = False


class RateLimited(Exception):
    """The check has taken its pings for this minute already; nothing was stored."""


# (code, limit) -> the minute this process saw that check's window full. A full window stays full
# until its minute ends, so a job pinging in a loop costs the database one statement per process
# and minute; the following pings of that minute are refused here.
_full_windows: dict[tuple, int] = {}
FULL_WINDOWS_KEPT = 10_000


def record_ping(code, data: PingData, now: datetime | None = None, rate_limit: int | None = None) -> bool:
    """Store a ping and move the check's state; False when no check has this code. With
    `rate_limit`, a check's pings past that many in one clock minute raise RateLimited."""
    now = now or timezone.now()
    minute = ping_sql.minute_of(now)
    if rate_limit is not None and _full_windows.get((code, rate_limit)) == minute:
        raise RateLimited
    try:
        return _record(code, data, now, rate_limit)
    except RateLimited:
        if len(_full_windows) >= FULL_WINDOWS_KEPT:
            _full_windows.clear()
        _full_windows[code, rate_limit] = minute
        raise


def _record(code, data: PingData, now: datetime, rate_limit: int | None) -> bool:
    outcome = ping_sql.record(code, data, now, rate_limit)  # PostgreSQL, no status change: one statement
    if outcome == ping_sql.LIMITED:
        raise RateLimited
    if outcome != ping_sql.OTHER:
        return outcome == ping_sql.STORED  # None: no such check
    with transaction.atomic():
        check = Check.objects.select_for_update().filter(code=code).first()
        if check is None:
            return False
        _count_in_rate_window(check, now, rate_limit)
        duration = _run_time(check, now) if data.kind != Ping.Kind.START else None
        check.n_pings += 1
        Ping.objects.create(
            owner=check,
            n=check.n_pings,
            created_at=now,
            kind=data.kind,
            exit_status=data.exit_status,
            method=data.method,
            remote_addr=data.remote_addr,
            user_agent=data.user_agent[:200],
            body=data.body,
            body_truncated=data.body_truncated,
            duration=duration,
        )
        if data.kind == Ping.Kind.START:
            check.last_start = now
            check.save(update_fields=["n_pings", "last_start", *RATE_FIELDS])
            return True
        _finish_run(check, data, duration, now)
    return True


RATE_FIELDS = ["rate_minute", "rate_count"]


def _count_in_rate_window(check: Check, now: datetime, rate_limit: int | None) -> None:
    """The same fixed one-minute window as ping_sql's statement, on the locked row."""
    minute = ping_sql.minute_of(now)
    if check.rate_minute != minute:
        check.rate_minute, check.rate_count = minute, 0
    if rate_limit is not None and check.rate_count >= rate_limit:
        raise RateLimited
    check.rate_count += 1


def _run_time(check: Check, now: datetime):
    if check.last_start and check.last_start <= now and now - check.last_start <= MAX_RUN_TIME:
        return now - check.last_start
    return None


RUN_FIELDS = ["n_pings", "status", "consecutive_failures", "last_ping", "last_start", "last_duration", "alert_after"]


def _finish_run(check: Check, data: PingData, duration, now: datetime) -> None:
    failed = data.kind == Ping.Kind.FAIL
    old = check.status
    check.consecutive_failures = check.consecutive_failures + 1 if failed else 0
    check.last_ping, check.last_start, check.last_duration = now, None, duration
    reason = _down_reason(check, data) if failed or check.failure_rate_percent is not None else None
    if reason:
        check.status = Status.DOWN
    elif failed and old == Status.DOWN:
        pass  # a failed run does not end an outage, even below the failures-before-down count
    else:
        check.status = Status.UP
    check.alert_after = check.compute_alert_after()
    check.save(update_fields=[*RUN_FIELDS, *RATE_FIELDS])
    if check.status != old:
        why = reason or ("resumed by a ping" if old == Status.PAUSED else _up_reason(data))
        create_flip(check, old, check.status, why, now)


def _up_reason(data: PingData) -> str:
    if data.kind == Ping.Kind.FAIL:
        return "ran again (a failure, below the failures-before-down threshold)"
    return "success ping" if data.exit_status is None else f"exit status {data.exit_status}"


def _down_reason(check: Check, data: PingData) -> str | None:
    what = "fail ping" if data.exit_status is None else f"exit status {data.exit_status}"
    if data.kind == Ping.Kind.FAIL and check.consecutive_failures >= check.failures_before_down:
        if check.failures_before_down == 1:
            return f"failed ({what})"
        return f"failed {check.consecutive_failures} times in a row (last: {what})"
    rate = failure_rate(check)
    if rate is not None and rate > check.failure_rate_percent:
        return f"{rate:.0f}% of the last {check.failure_rate_runs} runs failed (over {check.failure_rate_percent:g}%)"
    return None


def failure_rate(check: Check) -> float | None:
    """Percent of the last N finished runs that failed; None until N runs exist or when off."""
    if check.failure_rate_percent is None or not check.failure_rate_runs:
        return None
    kinds = list(
        Ping.objects.filter(owner=check)
        .exclude(kind=Ping.Kind.START)
        .order_by("-created_at", "-id")
        .values_list("kind", flat=True)[: check.failure_rate_runs]
    )
    if len(kinds) < check.failure_rate_runs:
        return None
    return 100.0 * kinds.count(Ping.Kind.FAIL) / len(kinds)


def create_flip(subject, old: str, new: str, reason: str, now: datetime) -> Flip:
    field = "owner_check" if isinstance(subject, Check) else "owner_monitor"
    return Flip.objects.create(**{field: subject}, old_status=old, new_status=new, reason=reason[:300], created_at=now)


LATE_REASON = "no ping since {last} UTC; expected by {due} UTC with grace"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# PostgreSQL: the whole sweep in one statement (lock the late rows, flip them, insert the flips);
# 10,000 late checks at once (after a beat outage) take a fraction of the ORM's three round trips.
SWEEP_SQL = """
WITH late AS (
    SELECT id, last_ping, alert_after FROM checks_check
    WHERE status = 'up' AND alert_after <= %(now)s
    FOR UPDATE SKIP LOCKED
), flipped AS (
    UPDATE checks_check AS c SET status = 'down' FROM late WHERE c.id = late.id
    RETURNING c.id, late.last_ping, late.alert_after
)
INSERT INTO checks_flip (owner_check_id, created_at, old_status, new_status, reason)
SELECT id, %(now)s, 'up', 'down',
       'no ping since ' || to_char(last_ping AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
       || ' UTC; expected by ' || to_char(alert_after AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
       || ' UTC with grace'
FROM flipped
"""


def sweep_late(now: datetime | None = None) -> int:
    """Mark every up check whose ping is overdue past its grace time down; return how many flipped.

    Late rows are locked (a ping holding one is skipped and wins), flipped only while still up and
    late, and each flip is stored once: a check is late once per outage, however often this runs.
    """
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(SWEEP_SQL, {"now": now})
            return cursor.rowcount
    with transaction.atomic():
        late = list(
            Check.objects.select_for_update(skip_locked=True)
            .filter(status=Status.UP, alert_after__lte=now)
            .values_list("pk", "last_ping", "alert_after")
        )
        Check.objects.filter(pk__in=[pk for pk, _, _ in late], status=Status.UP).update(status=Status.DOWN)
        Flip.objects.bulk_create(
            [
                Flip(
                    owner_check_id=pk,
                    old_status=Status.UP,
                    new_status=Status.DOWN,
                    reason=LATE_REASON.format(
                        last=last.astimezone(UTC).strftime(TIME_FORMAT), due=due.astimezone(UTC).strftime(TIME_FORMAT)
                    ),
                    created_at=now,
                )
                for pk, last, due in late
            ],
            batch_size=1000,
        )
    return len(late)


def set_paused(check: Check, paused: bool, now: datetime | None = None) -> bool:
    """Pause (no alerts, no late sweep) or resume a check; return whether it changed."""
    now = now or timezone.now()
    with transaction.atomic():
        check = Check.objects.select_for_update().get(pk=check.pk)
        if paused == (check.status == Status.PAUSED):
            return False
        old = check.status
        check.status = Status.PAUSED if paused else (Status.UP if check.last_ping else Status.NEW)
        check.alert_after = None if paused else check.compute_alert_after()
        check.save(update_fields=["status", "alert_after"])
        create_flip(check, old, check.status, "paused by hand" if paused else "resumed by hand", now)
    return True
