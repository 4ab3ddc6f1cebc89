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
    snaps: dict[str, engine.Snapshot] = {}
    rows, firing = [], timedelta(0)
    while at <= now:
        measured = catalog.measure_groups(rule, at - timedelta(minutes=rule.window_minutes), at)
        for group in sorted(measured.keys() | snaps.keys()):
            value, severity, clear = engine.judge(rule, measured.get(group, catalog.NO_DATA))
            reason, snaps[group] = engine.decide(rule, snaps.get(group, engine.Snapshot()), severity, clear, at)
            if reason:
                rows.append({"at": at, "group": group, "reason": reason, "severity": severity or "", "value": value})
        if any(snap.state == "firing" for snap in snaps.values()):
            firing += step
        at += step
    notifying = [r for r in rows if r["reason"] not in ("pending", "cancelled")]
    return {
        "step_minutes": int(step.total_seconds() // 60),
        "transitions": rows,
        "notifications": len(notifying),
        "firing_hours": round(firing.total_seconds() / 3600, 1),
    }
