"""The rule state machine (ok -> pending -> firing -> resolved) and one evaluation run.

`decide()` is pure, so the admin preview replays it over past data; `evaluate_rule()` applies it
under a row lock on the rule (skip_locked: a rule another worker is evaluating is skipped), so
each transition is stored, and notified, exactly once.
"""

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from alerts import catalog
from alerts.models import SEVERITY_RANK, Alert, AlertRule, AlertTransition
from alerts.models import AlertTransition as T

log = logging.getLogger(__name__)
HEARTBEAT = "alerts.evaluate"
ADVISORY_LOCK_KEY = 0x616C657274  # "alert": one evaluation run at a time across beat instances


@dataclass
class Snapshot:
    state: str = "ok"  # ok | pending | firing
    severity: str | None = None
    started_at: datetime | None = None
    clear_since: datetime | None = None
    last_notified_at: datetime | None = None
    acknowledged: bool = False


def snapshot(alert: Alert | None) -> Snapshot:
    if alert is None:
        return Snapshot()
    return Snapshot(
        alert.state,
        alert.severity,
        alert.started_at,
        alert.clear_since,
        alert.last_notified_at,
        alert.acknowledged_at is not None,
    )


def decide(
    rule: AlertRule, snap: Snapshot, severity: str | None, clear: bool, now: datetime
) -> tuple[str | None, Snapshot]:
    """Return the transition reason (or None) and the next snapshot."""
    if snap.state == "ok":
        return _from_ok(rule, severity, now)
    if snap.state == "pending":
        return _from_pending(rule, snap, severity, now)
    return _from_firing(rule, snap, severity, clear, now)


def _from_ok(rule, severity, now):
    if severity is None:
        return None, Snapshot()
    if rule.for_minutes == 0:
        return T.Reason.FIRED, Snapshot("firing", severity, now, None, now)
    return T.Reason.PENDING, Snapshot("pending", severity, now)


def _from_pending(rule, snap, severity, now):
    if severity is None:
        return T.Reason.CANCELLED, Snapshot()
    nxt = replace(snap, severity=severity)
    if now - snap.started_at >= timedelta(minutes=rule.for_minutes):
        return T.Reason.FIRED, replace(nxt, state="firing", last_notified_at=now)
    return None, nxt


def _from_firing(rule, snap, severity, clear, now):
    if severity is not None:
        nxt = replace(snap, clear_since=None)
        if severity != snap.severity:
            up = SEVERITY_RANK[severity] > SEVERITY_RANK[snap.severity]
            return (T.Reason.ESCALATED if up else T.Reason.DEESCALATED), replace(
                nxt, severity=severity, last_notified_at=now
            )
        if _repeat_due(rule, snap, now):
            return T.Reason.REPEAT, replace(nxt, last_notified_at=now)
        return None, nxt
    if not clear:  # between the resolve threshold and the trigger: hold (hysteresis)
        return None, replace(snap, clear_since=None)
    clear_since = snap.clear_since or now
    if now - clear_since >= timedelta(minutes=rule.keep_firing_minutes):
        return T.Reason.RESOLVED, Snapshot()
    return None, replace(snap, clear_since=clear_since)


def _repeat_due(rule, snap, now) -> bool:
    if not rule.repeat_interval_minutes or snap.acknowledged or snap.last_notified_at is None:
        return False
    return now - snap.last_notified_at >= timedelta(minutes=rule.repeat_interval_minutes)


def judge(rule: AlertRule, measurement: catalog.Measurement) -> tuple[float | None, str | None, bool]:
    """Value (None below min_samples), breached severity, and whether a firing alert may clear."""
    value = measurement.value if measurement.samples >= rule.min_samples else None
    return value, rule.severity_for(value), rule.is_clear(value)


def message_for(rule: AlertRule, value, severity, threshold, group: str = "") -> str:
    shown = "no data" if value is None else f"{value:.6g}"
    name = f"{rule.name} [{group}]" if group else rule.name
    if severity is None or threshold is None:
        return f"{name}: {rule.metric} is {shown}"
    op = dict(AlertRule._meta.get_field("comparator").choices)[rule.comparator]
    return f"{name}: {rule.metric} is {shown} ({op} {threshold:g}, {severity})"


def evaluate_rule(
    rule: AlertRule, now: datetime | None = None, measured: catalog.Measurement | catalog.Grouped | None = None
) -> list[AlertTransition]:
    """Evaluate one rule and apply at most one transition per group; return the transitions stored.

    A rule measured as a whole is the single group "". A group that has an open alert but is
    missing from this measurement (a deleted check, a tenant gone quiet) is judged as no data.
    `measured` is the rule's measurement at `now` when the caller measured many rules at once.
    """
    now = now or timezone.now()
    if measured is None:
        measured = catalog.measure_groups(rule, now - timedelta(minutes=rule.window_minutes), now)
    elif not isinstance(measured, dict):
        measured = {"": measured}
    transitions: list[AlertTransition] = []
    with transaction.atomic():
        locked = AlertRule.objects.select_for_update(skip_locked=True).filter(pk=rule.pk)
        locked = locked.filter(Q(last_evaluated_at__isnull=True) | Q(last_evaluated_at__lt=now)).first()
        if locked is None:  # another worker holds it, or a newer evaluation already ran
            return []
        open_alerts = {alert.group_key: alert for alert in locked.alerts.open().select_for_update()}
        for group in sorted(measured.keys() | open_alerts.keys()):
            value, severity, clear = judge(locked, measured.get(group, catalog.NO_DATA))
            alert = open_alerts.get(group)
            reason, nxt = decide(locked, snapshot(alert), severity, clear, now)
            transition = _apply(locked, alert, group, reason, nxt, value, now)
            if transition is not None:
                transitions.append(transition)
        AlertRule.objects.filter(pk=locked.pk).update(last_evaluated_at=now)
        from alerts import notify

        for transition in transitions:
            if transition.notifies:
                notify.dispatch(transition)
    return transitions


def _apply(rule, alert, group: str, reason, nxt: Snapshot, value, now) -> AlertTransition | None:
    """Save the alert's new state and store the transition, if any."""
    if alert is None and reason is None:
        return None
    from_state = alert.state if alert else "ok"
    alert = _update_alert(rule, alert or Alert(rule=rule, group_key=group, started_at=now), reason, nxt, value, now)
    if reason is None:
        return None
    to_state = {T.Reason.RESOLVED: "resolved", T.Reason.CANCELLED: "ok"}.get(reason, nxt.state)
    return AlertTransition.objects.create(
        alert=alert,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        severity=alert.severity,
        value=value,
        threshold=alert.threshold,
        at=now,
    )


def _update_alert(rule, alert: Alert, reason, nxt: Snapshot, value, now) -> Alert:
    alert.value, alert.clear_since = value, nxt.clear_since
    alert.last_notified_at = nxt.last_notified_at or alert.last_notified_at
    if reason in (T.Reason.RESOLVED, T.Reason.CANCELLED):
        alert.state, alert.resolved_at = Alert.State.RESOLVED, now
    else:
        severity = nxt.severity or alert.severity
        alert.state, alert.severity, alert.threshold = nxt.state, severity, rule.threshold_for(severity)
        alert.message = message_for(rule, value, severity, alert.threshold, alert.group_key)
    if reason == T.Reason.FIRED:
        alert.fired_at = now
    alert.save()
    return alert


def evaluate_all(now: datetime | None = None) -> list[AlertTransition]:
    """One evaluation of every enabled rule; a failing rule is logged and skipped.

    All rules are measured first, one query per source group (catalog.measure_many). A rule with
    no open alert whose value breaches nothing stays "ok" without a transition: it needs no row
    lock, only the shared last_evaluated_at update at the end. The others go through
    evaluate_rule, which decides again under the lock.
    """
    now = now or timezone.now()
    rules = list(AlertRule.objects.filter(enabled=True).order_by("pk"))
    measurements = catalog.measure_many(rules, now)
    open_rules = set(Alert.objects.open().values_list("rule_id", flat=True))
    transitions: list[AlertTransition] = []
    quiet: list[int] = []
    for rule in rules:
        measurement = measurements.get(rule.pk)
        if measurement is None:
            continue  # its source failed (logged by measure_many)
        groups = measurement.values() if isinstance(measurement, dict) else [measurement]
        if rule.pk not in open_rules and all(judge(rule, m)[1] is None for m in groups):
            quiet.append(rule.pk)
            continue
        try:
            transitions += evaluate_rule(rule, now, measurement)
        except Exception:
            log.exception("alert rule %s (%s) failed to evaluate", rule.pk, rule.name)
    for start in range(0, len(quiet), 500):
        AlertRule.objects.filter(pk__in=quiet[start : start + 500]).filter(
            Q(last_evaluated_at__isnull=True) | Q(last_evaluated_at__lt=now)
        ).update(last_evaluated_at=now)
    return transitions


def claim_period(name: str, now: datetime, floor: datetime) -> bool:
    """Let one run per period through, however many beats send the task (conditional update).

    The Heartbeat row `name` records the last run; only a caller that moves it past `floor` (the
    start of the current period) runs.
    """
    from monitoring_site.models import Heartbeat

    if Heartbeat.objects.filter(name=name, last_run__lt=floor).update(last_run=now):
        return True
    _, created = Heartbeat.objects.get_or_create(name=name, defaults={"last_run": now})
    return created


def claim_minute(now: datetime) -> bool:
    """The evaluation heartbeat (dead man's switch), also one evaluation per minute."""
    return claim_period(HEARTBEAT, now, now.replace(second=0, microsecond=0))


class run_lock:
    """A PostgreSQL advisory lock held for one run; other databases rely on the minute claim."""

    def __enter__(self) -> bool:
        self.held = True
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
                self.held = cursor.fetchone()[0]
        return self.held

    def __exit__(self, *exc) -> None:
        if self.held and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
