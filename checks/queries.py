"""Read functions other apps (alerts, incidents, status pages, dashboard) call; times are aware."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.utils import timezone

from checks.models import Check, Flip, Monitor, Status


def down_by_group(now: datetime | None = None) -> dict[str, int]:
    """Every watched check as `check:<slug>` -> 1 down, 0 up (grace counts as up).

    New and paused ones are left out: they are not watched, so their alert (if any) resolves.
    Late checks the sweep has not flipped yet count as down already (alert_after has passed).
    """
    now = now or timezone.now()
    rows = Check.objects.exclude(status__in=[Status.NEW, Status.PAUSED]).values_list("slug", "status", "alert_after")
    return {
        f"check:{slug}": int(status == Status.DOWN or (late is not None and late <= now)) for slug, status, late in rows
    }


def monitors_down_by_group(now: datetime | None = None) -> dict[str, int]:
    """Every watched monitor as `monitor:<slug>` -> 1 down, 0 up (its status is set by its last runs)."""
    rows = Monitor.objects.exclude(status__in=[Status.NEW, Status.PAUSED]).values_list("slug", "status")
    return {f"monitor:{slug}": int(status == Status.DOWN) for slug, status in rows}


def flips(since: datetime, until: datetime, limit: int = 500) -> list[Flip]:
    """Flips of every check and monitor in [since, until), oldest first (incident timelines)."""
    qs = Flip.objects.filter(created_at__gte=since, created_at__lt=until).select_related("owner_check", "owner_monitor")
    return list(qs.order_by("created_at", "id")[:limit])


def daily_uptime(subject: Check | Monitor, days: int, now: datetime | None = None) -> list[tuple[date, float | None]]:
    """Per UTC day, oldest first: the percent of the day not spent down, None before it was watched.

    Computed from the flips (the state edges), so it costs one query per check or monitor.
    """
    now = now or timezone.now()
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    field = "owner_check" if isinstance(subject, Check) else "owner_monitor"
    edges = list(
        Flip.objects.filter(**{field: subject}).order_by("created_at", "id").values_list("created_at", "new_status")
    )
    return [
        (day.date(), _up_percent(edges, day, min(day + timedelta(days=1), now), subject.created_at))
        for day in _days(start, days)
    ]


def _days(start: datetime, days: int) -> Iterable[datetime]:
    return (start + timedelta(days=i) for i in range(days))


def _up_percent(edges: list[tuple[datetime, str]], since: datetime, until: datetime, created: datetime) -> float | None:
    """Percent of the watched time (not new, not paused) in [since, until) that was not down."""
    if until <= since or until <= created:
        return None
    since = max(since, created)
    state = Status.NEW
    for at, new in edges:
        if at > since:
            break
        state = new
    down, watched, cursor = timedelta(0), timedelta(0), since
    for at, new in [e for e in edges if since < e[0] < until] + [(until, state)]:
        span = at - cursor
        if state not in (Status.NEW, Status.PAUSED):
            watched += span
        if state == Status.DOWN:
            down += span
        state, cursor = new, at
    if not watched:
        return None
    return round(100 * (1 - down / watched), 2)
