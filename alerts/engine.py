"""The rule state machine (ok -> pending -> firing -> resolved) and one evaluation run.

`decide()` is pure, so the admin preview replays it over past data; `evaluate_rule()` applies it
under a row lock on the rule (skip_locked: a rule another worker is evaluating is skipped), so
each transition is stored, and notified, exactly once.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alerts import catalog
from alerts.models import MAX_GROUPS, OVERFLOW_GROUP, SEVERITY_RANK, Alert, AlertRule, AlertTransition
from alerts.models import AlertTransition as T
from monitoring_site.locks import lease

log = logging.getLogger(__name__)
HEARTBEAT = "alerts.evaluate"
RUN_LEASE_SECONDS = 300  # a crashed run blocks evaluation at most this long


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
        measured = catalog.measure_groups(rule, rule.since(now), now)
    elif not isinstance(measured, dict):
        measured = {"": measured}
    transitions: list[AlertTransition] = []
    with transaction.atomic():
        locked = AlertRule.objects.select_for_update(skip_locked=True).filter(pk=rule.pk)
        locked = locked.filter(Q(last_evaluated_at__isnull=True) | Q(last_evaluated_at__lt=now)).first()
        if locked is None:  # another worker holds it, or a newer evaluation already ran
            return []
        open_alerts = {alert.group_key: alert for alert in locked.alerts.open().select_for_update()}
        overflow_alert = open_alerts.pop(OVERFLOW_GROUP, None)
        measured, breaching, overflow = cap_groups(locked, measured, open_alerts.keys())
        for group in sorted(measured.keys() | open_alerts.keys()):
            value, severity, clear = judge(locked, measured.get(group, catalog.NO_DATA))
            alert = open_alerts.get(group)
            reason, nxt = decide(locked, snapshot(alert), severity, clear, now)
            transition = _apply(locked, alert, group, reason, nxt, value, now)
            if transition is not None:
                transitions.append(transition)
        transition = _overflow(locked, overflow_alert, breaching, overflow, now)
        if transition is not None:
            transitions.append(transition)
        AlertRule.objects.filter(pk=locked.pk).update(last_evaluated_at=now)
        from alerts import notify

        for transition in transitions:
            if transition.notifies:
                notify.dispatch(transition)
    return transitions


def cap_groups(rule: AlertRule, measured: catalog.Grouped, open_groups) -> tuple[catalog.Grouped, int, int]:
    """Keep every group with an open alert and the worst breaching new ones up to MAX_GROUPS
    open alerts; return (kept, breaching groups, how many were left out).

    Groups that breach nothing and have no open alert are dropped: ok -> ok changes nothing.
    """
    if len(measured) <= 1 and not open_groups:
        return measured, 0, 0
    kept = {group: m for group, m in measured.items() if group in open_groups}
    new = []
    for group, measurement in measured.items():
        if group not in open_groups:
            value, severity, _ = judge(rule, measurement)
            if severity is not None:
                new.append((SEVERITY_RANK[severity], value if rule.comparator in ("gt", "gte") else -value, group))
    new.sort(reverse=True)  # critical before warning, then the furthest past the threshold
    room = max(MAX_GROUPS - len(open_groups), 0)
    kept.update((group, measured[group]) for _, _, group in new[:room])
    breaching = len(new) + sum(1 for g in kept if g in open_groups and judge(rule, kept[g])[1] is not None)
    return kept, breaching, max(len(new) - room, 0)


def _overflow(rule: AlertRule, alert: Alert | None, breaching: int, overflow: int, now) -> AlertTransition | None:
    """Report an overflow once: an alert of its own (group OVERFLOW_GROUP) that fires when groups
    are left out and resolves when they all fit again, through the normal channels."""
    if overflow and alert is None:
        alert = Alert.objects.create(
            rule=rule,
            group_key=OVERFLOW_GROUP,
            severity="warning",
            state=Alert.State.FIRING,
            value=float(breaching),
            threshold=float(MAX_GROUPS),
            started_at=now,
            fired_at=now,
            last_notified_at=now,
            message=f"{rule.name}: {breaching} groups breach at once; alerts are kept for {MAX_GROUPS}, "
            f"{overflow} more are not alerted individually",
        )
        reason, from_state, to_state = T.Reason.FIRED, "ok", "firing"
    elif not overflow and alert is not None:
        alert.state, alert.resolved_at, alert.value = Alert.State.RESOLVED, now, float(breaching)
        alert.save(update_fields=["state", "resolved_at", "value"])
        reason, from_state, to_state = T.Reason.RESOLVED, "firing", "resolved"
    else:
        return None
    return _record(alert, from_state, to_state, reason, float(breaching), float(MAX_GROUPS), now)


def _apply(rule, alert, group: str, reason, nxt: Snapshot, value, now) -> AlertTransition | None:
    """Save the alert's new state and store the transition, if any."""
    if alert is None and reason is None:
        return None
    from_state = alert.state if alert else "ok"
    alert = _update_alert(rule, alert or Alert(rule=rule, group_key=group, started_at=now), reason, nxt, value, now)
    if reason is None:
        return None
    to_state = {T.Reason.RESOLVED: "resolved", T.Reason.CANCELLED: "ok"}.get(reason, nxt.state)
    return _record(alert, from_state, to_state, reason, value, alert.threshold, now)


def _record(alert: Alert, from_state: str, to_state: str, reason, value, threshold, now) -> AlertTransition:
    return AlertTransition.objects.create(
        alert=alert,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        severity=alert.severity,
        value=value,
        threshold=threshold,
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

    All rules are measured first, one query per source group (catalog.measure_many), and judged
    against the open alerts read once. A rule whose every group would stay as it is (ok and not
    breaching, or pending/firing with nothing to notify) needs no row lock: its alerts' values
    are refreshed in one UPDATE and last_evaluated_at in another. Only rules with a transition
    to make go through evaluate_rule, which measures nothing again but decides under the lock.
    """
    now = now or timezone.now()
    rules = list(AlertRule.objects.filter(enabled=True).order_by("pk"))
    measurements = catalog.measure_many(rules, now)
    open_alerts: dict[int, dict[str, Alert]] = defaultdict(dict)
    for alert in Alert.objects.open():
        open_alerts[alert.rule_id][alert.group_key] = alert
    transitions: list[AlertTransition] = []
    steady: list[int] = []
    refreshed: list[Alert] = []
    for rule in rules:
        measured = measurements.get(rule.pk)
        if measured is None:
            continue  # its source failed (logged by measure_many)
        groups = measured if isinstance(measured, dict) else {"": measured}
        unchanged = _steady(rule, groups, open_alerts.get(rule.pk, {}), now)
        if unchanged is not None:
            steady.append(rule.pk)
            refreshed += unchanged
            continue
        try:
            transitions += evaluate_rule(rule, now, groups)
        except Exception:
            log.exception("alert rule %s (%s) failed to evaluate", rule.pk, rule.name)
    # Only alerts still open: one resolved meanwhile by another evaluation keeps its last value.
    Alert.objects.open().bulk_update(refreshed, ["value", "message"], batch_size=500)
    for start in range(0, len(steady), 500):
        AlertRule.objects.filter(pk__in=steady[start : start + 500]).filter(
            Q(last_evaluated_at__isnull=True) | Q(last_evaluated_at__lt=now)
        ).update(last_evaluated_at=now)
    return transitions


def _steady(rule: AlertRule, measured: catalog.Grouped, open_alerts: dict[str, Alert], now) -> list[Alert] | None:
    """The open alerts with a new value when no group of the rule changes state; None when one does."""
    if OVERFLOW_GROUP in open_alerts:
        return None
    kept, _, overflow = cap_groups(rule, measured, open_alerts.keys())
    if overflow:
        return None
    changed = []
    for group in kept.keys() | open_alerts.keys():
        value, severity, clear = judge(rule, kept.get(group, catalog.NO_DATA))
        alert = open_alerts.get(group)
        before = snapshot(alert)
        reason, after = decide(rule, before, severity, clear, now)
        if reason is not None or after != before:
            return None
        if alert is not None and alert.value != value:
            alert.value = value
            alert.message = message_for(rule, value, alert.severity, alert.threshold, alert.group_key)
            changed.append(alert)
    return changed


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


def run_lock() -> lease:
    """One evaluation run at a time across workers: a lease row, not a session advisory lock, so
    it holds through PgBouncer in transaction mode (a run longer than the lease may overlap the
    next, which the per-rule row locks make harmless)."""
    return lease("alerts.evaluate", RUN_LEASE_SECONDS)
