"""Time travel: what would the rules have done over past data? Changes nothing.

`run()` walks [since, until] in steps, measures every rule at each step (one query per source
group, like a live cycle) and feeds the pure state machine (`engine.decide`) from a fresh
"ok" state. No alert, transition or delivery row is written: `replay_alerts`, `evaluate_alerts
--at` and the admin's 7-day preview all read through here.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alerts import catalog, engine
from alerts.models import OVERFLOW_GROUP, AlertRule
from alerts.models import AlertTransition as T

MAX_STEPS = 20_160  # 14 days at one step a minute: a replay is a read, but a bounded one
STEP = re.compile(r"(\d+)([smhd])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
NOTIFYING = {T.Reason.FIRED, T.Reason.ESCALATED, T.Reason.DEESCALATED, T.Reason.REPEAT, T.Reason.RESOLVED}


@dataclass
class Row:
    at: datetime
    rule: str
    group: str
    from_state: str
    to_state: str
    reason: str
    severity: str
    value: float | None

    def __getitem__(self, name: str):  # templates and callers read rows like the old dicts
        return getattr(self, name)

    @property
    def notifies(self) -> bool:
        return self.reason in NOTIFYING


@dataclass
class Result:
    steps: int = 0
    transitions: list[Row] = field(default_factory=list)
    firing: dict[str, timedelta] = field(default_factory=dict)

    @property
    def notifications(self) -> int:
        return sum(row.notifies for row in self.transitions)


def parse_step(text: str) -> timedelta:
    """'1m', '30s', '2h', '1d' -> timedelta; ValueError with the accepted shape otherwise."""
    match = STEP.fullmatch((text or "").strip())
    if not match or int(match[1]) == 0:
        raise ValueError(f"{text!r} is not a step: use a number and s, m, h or d, e.g. 1m or 15m.")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


def run(rules: list[AlertRule], since: datetime, until: datetime, step: timedelta) -> Result:
    """Replay `rules` at since, since + step, ... <= until; raise ValueError on a bad range."""
    if until < since:
        raise ValueError("--to must not be before --from.")
    steps = int((until - since) / step) + 1
    if steps > MAX_STEPS:
        raise ValueError(f"{steps:,} steps: use a larger --step or a shorter range (at most {MAX_STEPS:,}).")
    result = Result(steps=steps)
    snaps: dict[int, dict[str, engine.Snapshot]] = {rule.pk: {} for rule in rules}
    for i in range(steps):
        at = since + i * step
        measurements = catalog.measure_many(rules, at)
        for rule in rules:
            measured = measurements.get(rule.pk)
            if measured is None:
                continue
            _step(result, rule, snaps[rule.pk], measured if isinstance(measured, dict) else {"": measured}, at)
            if any(snap.state == "firing" for snap in snaps[rule.pk].values()):  # the overflow mark is not
                result.firing[rule.name] = result.firing.get(rule.name, timedelta(0)) + step
    return result


def _step(result: Result, rule: AlertRule, snaps: dict, measured: dict, at: datetime) -> None:
    """One evaluation of every group, as engine.evaluate_rule does it (a vanished group is no data,
    at most MAX_GROUPS open alerts, an overflow reported once)."""
    overflowing = snaps.pop(OVERFLOW_GROUP, None)
    measured, breaching, overflow = engine.cap_groups(rule, measured, snaps.keys())
    if bool(overflow) != bool(overflowing):
        reason, before, after = (
            (T.Reason.FIRED, "ok", "firing") if overflow else (T.Reason.RESOLVED, "firing", "resolved")
        )
        result.transitions.append(
            Row(at, rule.name, OVERFLOW_GROUP, before, after, reason, "warning", float(breaching))
        )
    if overflow:
        snaps[OVERFLOW_GROUP] = engine.Snapshot("overflow")
    for group in sorted(measured.keys() | (snaps.keys() - {OVERFLOW_GROUP})):
        value, severity, clear = engine.judge(rule, measured.get(group, catalog.NO_DATA))
        before = snaps.get(group, engine.Snapshot())
        reason, after = engine.decide(rule, before, severity, clear, at)
        if after.state == "ok":
            snaps.pop(group, None)
        else:
            snaps[group] = after
        if reason:
            to_state = {T.Reason.RESOLVED: "resolved", T.Reason.CANCELLED: "ok"}.get(reason, after.state)
            shown = severity or before.severity or ""
            result.transitions.append(Row(at, rule.name, group, before.state, to_state, reason, shown, value))
