"""When a check is next due: a fixed period, or a cron expression read in the check's time zone.

Cron times come from cronsim (the library healthchecks.io uses), iterated from an aware datetime in
the check's zone, so a daily 02:30 job is due at 03:00 on the night that 02:30 does not exist.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError


def cron_error(expression: str) -> str | None:
    """The reason a cron expression is refused, or None."""
    try:
        CronSim(expression, datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC")))
    except CronSimError as exc:
        return f"not a valid cron expression: {exc}"
    return None


def tz_error(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin or UTC"
    return None


def next_cron(expression: str, tz: str, after: datetime) -> datetime:
    """The first time the expression matches strictly after `after` (an aware datetime)."""
    local = after.astimezone(ZoneInfo(tz)).replace(second=0, microsecond=0)
    return next(CronSim(expression, local)).astimezone(after.tzinfo)


def next_due(check, after: datetime) -> datetime:
    if check.schedule:
        return next_cron(check.schedule, check.tz, after)
    return after + timedelta(seconds=check.period_seconds)
