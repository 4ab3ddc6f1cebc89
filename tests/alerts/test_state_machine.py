from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.engine import evaluate_rule
from alerts.models import Alert, AlertTransition
from tests.alerts.conftest import clear_failed_logins, failed_logins

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)


def steps(rule, now, minutes):
    """Evaluate the rule at now, now+1m, ... and return the transition reasons."""
    out = []
    for i in range(minutes):
        out += [t.reason for t in evaluate_rule(rule, now + i * MINUTE)]
    return out


def test_it_goes_pending_then_firing_then_resolved_and_stores_value_and_threshold(make_rule):
    rule = make_rule(for_minutes=2)
    now = timezone.now()
    failed_logins(6, at=now - MINUTE)
    assert steps(rule, now, 3) == ["pending", "fired"]
    alert = Alert.objects.get(rule=rule)
    assert (alert.state, alert.severity, alert.value, alert.threshold) == ("firing", "warning", 6.0, 5.0)
    clear_failed_logins()
    assert [t.reason for t in evaluate_rule(rule, now + 3 * MINUTE)] == ["resolved"]
    alert.refresh_from_db()
    assert alert.state == "resolved" and alert.resolved_at is not None
    chain = list(
        AlertTransition.objects.filter(alert=alert)
        .order_by("at")
        .values_list("from_state", "to_state", "value", "threshold")
    )
    assert chain == [("ok", "pending", 6.0, 5.0), ("pending", "firing", 6.0, 5.0), ("firing", "resolved", 0.0, 5.0)]


def test_it_cancels_a_pending_alert_that_clears_before_for_minutes(make_rule):
    rule = make_rule(for_minutes=5)
    now = timezone.now()
    failed_logins(6, at=now - MINUTE)
    assert steps(rule, now, 2) == ["pending"]
    clear_failed_logins()
    assert steps(rule, now + 2 * MINUTE, 1) == ["cancelled"]
    assert Alert.objects.get(rule=rule).fired_at is None


def test_a_severity_change_while_firing_is_a_transition(make_rule):
    rule = make_rule()
    now = timezone.now()
    failed_logins(6, at=now - MINUTE)
    assert steps(rule, now, 1) == ["fired"]
    failed_logins(20, at=now)
    assert steps(rule, now + MINUTE, 2) == ["escalated"]
    assert Alert.objects.get(rule=rule).severity == "critical"
    assert AlertTransition.objects.filter(reason="escalated").get().threshold == 20


def test_it_needs_the_minimum_sample_count_before_it_breaches(make_rule):
    rule = make_rule(min_samples=10)
    now = timezone.now()
    failed_logins(6, at=now - MINUTE)
    assert steps(rule, now, 2) == []
    failed_logins(4, at=now - MINUTE)
    assert steps(rule, now + 2 * MINUTE, 1) == ["fired"]


def test_flapping_data_gives_one_firing_and_one_resolve(make_rule):
    rule = make_rule(window_minutes=1, keep_firing_minutes=3)
    now = timezone.now()
    reasons = []
    for i in range(8):  # breach on even minutes, clear on odd ones
        at = now + i * MINUTE
        if i % 2 == 0:
            failed_logins(6, at=at - timedelta(seconds=10))
        reasons += [t.reason for t in evaluate_rule(rule, at)]
    reasons += steps(rule, now + 8 * MINUTE, 5)
    assert reasons == ["fired", "resolved"]


def test_a_resolve_threshold_holds_the_alert_until_the_value_falls_below_it(make_rule):
    rule = make_rule(resolve_threshold=2)
    now = timezone.now()
    failed_logins(6, at=now - MINUTE)
    assert steps(rule, now, 1) == ["fired"]
    clear_failed_logins()
    failed_logins(3, at=now)
    assert steps(rule, now + MINUTE, 2) == []
    clear_failed_logins()
    assert steps(rule, now + 3 * MINUTE, 1) == ["resolved"]


def test_it_evaluates_a_rule_once_for_the_same_instant(make_rule):
    rule = make_rule()
    now = timezone.now()
    failed_logins(6, at=now - MINUTE)
    assert len(evaluate_rule(rule, now)) == 1
    rule.refresh_from_db()
    assert evaluate_rule(rule, now) == []
    assert AlertTransition.objects.count() == 1
