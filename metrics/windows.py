"""Time windows: parsing `window=24h`, bucket arithmetic, and interval subtraction."""

import re
from datetime import datetime, timedelta

WINDOW_RE = re.compile(r"^(\d{1,6})([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
MAX_WINDOW = timedelta(days=400)
PERIODS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7)}


def parse_window(text: str) -> timedelta:
    """Parse `15m`, `24h`, `7d`...; raise ValueError with a message for anything else."""
    match = WINDOW_RE.match(text or "")
    if not match:
        raise ValueError("Use a number followed by m, h or d, e.g. 1h, 24h, 7d, 365d.")
    window = timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    if not timedelta(0) < window <= MAX_WINDOW:
        raise ValueError("The window must be between 1 minute and 400 days.")
    return window


def floor(moment: datetime, period: str) -> datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    if period == "hour":
        return moment
    day = moment.replace(hour=0)
    return day - timedelta(days=day.weekday()) if period == "week" else day  # weeks start on Monday


def ceil(moment: datetime, period: str) -> datetime:
    floored = floor(moment, period)
    return floored if floored == moment else floored + PERIODS[period]


def runs(starts: list[datetime], length: timedelta) -> list[tuple[datetime, datetime]]:
    """Merge sorted bucket starts into contiguous (start, end) runs."""
    merged: list[tuple[datetime, datetime]] = []
    for start in sorted(starts):
        if merged and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], start + length)
        else:
            merged.append((start, start + length))
    return merged


def subtract(gaps: list[tuple], covered: list[tuple]) -> list[tuple]:
    """Return the parts of the intervals `gaps` not inside any interval of `covered`."""
    result = []
    for start, end in gaps:
        cursor = start
        for c_start, c_end in sorted(covered):
            if c_end <= cursor or c_start >= end:
                continue
            if c_start > cursor:
                result.append((cursor, c_start))
            cursor = max(cursor, c_end)
        if cursor < end:
            result.append((cursor, end))
    return result
