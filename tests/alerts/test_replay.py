"""Time travel: evaluate_alerts --at and replay_alerts read the past and change nothing."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from alerts.models import Alert, AlertRule, AlertTransition, NotificationDelivery
from monitoring_site.models import Heartbeat
from tests.alerts.conftest import failed_logins
from tests.alerts.test_catalog import ai_calls

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def nothing_stored() -> bool:
    return not (Alert.objects.exists() or AlertTransition.objects.exists() or NotificationDelivery.objects.exists())


def test_replay_prints_what_a_burst_would_have_done_and_stores_nothing(receiver, make_channel):
    make_channel(receiver.url())
    rule = AlertRule.objects.create(
        name="AI burst", metric="ai_error_rate", window_minutes=5, critical_threshold=20, min_samples=20
    )
    start = minute(timezone.now() - timedelta(days=2))
    ai_calls(50, errors=20, at=start + timedelta(minutes=10, seconds=30))
    out = run("replay_alerts", "--rule", "AI burst", "--from", iso(start), "--to", iso(start + timedelta(minutes=30)))
    lines = out.splitlines()
    assert (
        lines[0] == f"{(start + timedelta(minutes=11)).isoformat()} AI burst: ok -> firing [fired, critical] value=40"
    )
    assert (
        lines[1]
        == f"{(start + timedelta(minutes=16)).isoformat()} AI burst: firing -> resolved [resolved, critical] value=no data"
    )
    assert lines[-1] == (
        "1 rule(s), 31 step(s): 2 transition(s), 2 notification(s) would have been sent; nothing was stored or sent"
    )
    rule.refresh_from_db()
    assert nothing_stored() and rule.last_evaluated_at is None and receiver.requests == []


def test_replay_all_honours_keep_firing_and_for_minutes():
    AlertRule.objects.create(
        name="Logins", metric="failed_logins", window_minutes=10, warning_threshold=5, keep_firing_minutes=5
    )
    AlertRule.objects.create(
        name="Patient", metric="failed_logins", window_minutes=10, warning_threshold=5, for_minutes=30
    )
    start = minute(timezone.now() - timedelta(hours=3))
    failed_logins(6, at=start + timedelta(minutes=1, seconds=30))
    out = run("replay_alerts", "--all", "--from", iso(start), "--to", iso(start + timedelta(hours=1)), "--step", "5m")
    assert "Logins: ok -> firing [fired, warning] value=6" in out
    assert "Logins: firing -> resolved [resolved, warning] value=0" in out
    resolved = next(line for line in out.splitlines() if "Logins: firing -> resolved" in line)
    assert resolved.startswith((start + timedelta(minutes=20)).isoformat())  # clear at 15, held 5 more
    assert "Patient: ok -> pending [pending, warning]" in out and "Patient: pending -> ok [cancelled" in out
    assert out.splitlines()[-1].startswith("2 rule(s), 13 step(s): 4 transition(s), 2 notification(s)")
    assert nothing_stored()


def test_evaluate_alerts_at_a_past_moment_prints_verdicts_and_stores_nothing():
    AlertRule.objects.create(name="Logins", metric="failed_logins", window_minutes=10, warning_threshold=5)
    AlertRule.objects.create(name="Errors", metric="ai_error_rate", window_minutes=5, warning_threshold=5)
    then = minute(timezone.now() - timedelta(days=1))
    failed_logins(6, at=then - timedelta(minutes=2))
    out = run("evaluate_alerts", "--at", iso(then))
    assert "Logins: warning value=6 samples=6" in out and "Errors: no data value=- samples=0" in out
    assert out.splitlines()[-1] == f"at {then.isoformat()}: 1 of 2 rule(s) breaching; nothing was stored"
    assert "Logins: ok value=0" in run("evaluate_alerts", "--at", iso(then + timedelta(hours=1)))
    assert nothing_stored() and not Heartbeat.objects.exists()
    assert not AlertRule.objects.filter(last_evaluated_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("evaluate_alerts", "--at", "yesterday"), "--at: 'yesterday' is not an ISO 8601 date and time"),
        (("replay_alerts", "--all", "--from", "2026-13-01T00:00Z"), "--from: '2026-13-01T00:00Z' is not an ISO 8601"),
        (("replay_alerts", "--rule", "nope", "--from", "2026-11-01T00:00Z"), "--rule: no rule named 'nope'"),
        (
            ("replay_alerts", "--all", "--from", "2026-11-01T00:00Z", "--step", "1 minute"),
            "--step: '1 minute' is not a step",
        ),
        (
            ("replay_alerts", "--all", "--from", "2026-11-02T00:00Z", "--to", "2026-11-01T00:00Z"),
            "--to must not be before --from",
        ),
        (("replay_alerts", "--all", "--from", "2026-01-01T00:00Z", "--to", "2026-03-01T00:00Z"), "use a larger --step"),
    ],
)
def test_bad_arguments_name_the_option(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        call_command(*args, stdout=StringIO())
