"""Replay a rule over the last 7 days: what would it have fired, resolved and notified?"""

from datetime import timedelta

from django.utils import timezone

from alerts import replay as replaying

DAYS = 7
MIN_STEP_MINUTES = 10  # so a preview costs at most 1,008 evaluations


def replay(rule, now=None) -> dict:
    """Run the time-travel replay over past windows (steps of max(window, 10 min); shorter windows leave gaps)."""
    now = now or timezone.now()
    # A budget reads its whole day or month at every step: hourly steps keep that to 168 reads.
    minutes = 60 if rule.kind == "budget" else max(rule.window_minutes, MIN_STEP_MINUTES)
    step = timedelta(minutes=minutes)
    result = replaying.run([rule], now - timedelta(days=DAYS) + step, now, step)
    firing = result.firing.get(rule.name, timedelta(0))
    return {
        "step_minutes": int(step.total_seconds() // 60),
        "transitions": result.transitions,
        "notifications": result.notifications,
        "firing_hours": round(firing.total_seconds() / 3600, 1),
    }
