"""seed_demo: a few check-ins with a week of pings (one nightly backup that went missing once)."""

from datetime import timedelta

from django.utils import timezone

from checks.models import Check, Flip, Ping
from checks.services import PingData, record_ping, sweep_late

DEMO = [
    ("Nightly pg_dump", {"schedule": "30 2 * * *", "tz": "Europe/Berlin", "grace_seconds": 3600, "tags": "backup"}),
    ("Weekly restore test", {"schedule": "0 4 * * 0", "tz": "Europe/Berlin", "grace_seconds": 7200, "tags": "backup"}),
    ("Invoice mailer", {"period_seconds": 3600, "grace_seconds": 900, "failures_before_down": 2, "tags": "billing"}),
]


def seed(days: int, events: int, stdout) -> None:
    now = timezone.now()
    start = now - timedelta(days=min(days, 7))
    for name, fields in DEMO:
        check, created = Check.objects.get_or_create(name=name, defaults=fields)
        if not created:
            continue
        Check.objects.filter(pk=check.pk).update(created_at=start)
        _replay(check, start, now)
    stdout.write(
        f"  checks: {Check.objects.count()} checks, {Ping.objects.count()} pings, {Flip.objects.count()} flips"
    )


def _replay(check: Check, start, now) -> None:
    """Ping on schedule, skip one run in the middle (an outage the sweep finds), sweep as beat would."""
    at, n = start, 0
    while at < now:
        at = check.next_due() if check.last_ping else start + timedelta(minutes=5)
        if at is None or at >= now:
            break
        n += 1
        if n != 4:
            record_ping(check.code, PingData(kind="start"), now=at)
            record_ping(check.code, PingData(kind="success", body="done"), now=at + timedelta(seconds=40 + n))
        sweep_late(at + timedelta(seconds=check.grace_seconds + 60))
        check.refresh_from_db()
        if n == 4:
            check.last_ping = at  # the next run comes back on schedule
