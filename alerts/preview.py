"""Replay a rule over the last 7 days: what would it have fired, resolved and notified?"""

from datetime import timedelta

from django.utils import timezone

from alerts import catalog, engine

DAYS = 7
MIN_STEP_MINUTES = 10  # so a preview costs at most 1,008 evaluations


def replay(rule, now=None) -> dict:
    """Run the pure state machine over past windows (steps of max(window, 10 min); shorter windows leave gaps)."""
    now = now or timezone.now()
    step = timedelta(minutes=max(rule.window_minutes, MIN_STEP_MINUTES))
    at = now - timedelta(days=DAYS) + step
    snap, rows, firing = engine.Snapshot(), [], timedelta(0)
    while at <= now:
        measurement = catalog.measure(rule, at - timedelta(minutes=rule.window_minutes), at)
        value, severity, clear = engine.judge(rule, measurement)
        reason, snap = engine.decide(rule, snap, severity, clear, at)
        if snap.state == "firing":
            firing += step
        if reason:
            rows.append({"at": at, "reason": reason, "severity": severity or "", "value": value})
        at += step
    notifying = [r for r in rows if r["reason"] not in ("pending", "cancelled")]
    return {
        "step_minutes": int(step.total_seconds() // 60),
        "transitions": rows,
        "notifications": len(notifying),
        "firing_hours": round(firing.total_seconds() / 3600, 1),
    }
