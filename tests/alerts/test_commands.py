from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from alerts import queries, tasks
from alerts.defaults import DEFAULT_RULES
from alerts.models import Alert, AlertRule, AlertTransition
from monitoring_site import health
from monitoring_site.models import Heartbeat
from tests.alerts.conftest import failed_logins

pytestmark = pytest.mark.django_db


def test_setup_defaults_installs_the_spec_rules_idempotently_and_keeps_edits():
    call_command("setup_defaults", stdout=StringIO())
    assert AlertRule.objects.count() == len(DEFAULT_RULES) == 20  # 12 of section 6, 3 of issue 12, 5 of section 10
    errors = AlertRule.objects.get(default_key="ai_error_rate")
    assert (errors.warning_threshold, errors.critical_threshold, errors.window_minutes) == (1, 5, 60)
    assert AlertRule.objects.get(default_key="disk_free_percent").comparator == "lt"
    errors.warning_threshold = 2
    errors.save()
    out = StringIO()
    call_command("setup_defaults", stdout=out)
    assert AlertRule.objects.count() == 20
    assert AlertRule.objects.get(default_key="ai_error_rate").warning_threshold == 2
    assert "kept (edited by an admin)" in out.getvalue() and "unchanged" in out.getvalue()


def test_evaluate_alerts_prints_each_transition_and_beats():
    AlertRule.objects.create(name="Logins", metric="failed_logins", warning_threshold=5, window_minutes=10)
    failed_logins(6)
    out = StringIO()
    call_command("evaluate_alerts", stdout=out)
    assert "Logins: ok -> firing [fired, warning] value=6.0 threshold=5.0" in out.getvalue()
    assert Heartbeat.objects.filter(name="alerts.evaluate").exists()


def test_the_task_evaluates_once_per_minute_however_many_beats_send_it():
    rule = AlertRule.objects.create(name="Logins", metric="failed_logins", warning_threshold=5, window_minutes=10)
    failed_logins(6)
    tasks.evaluate_alerts()
    tasks.evaluate_alerts()  # a second beat in the same minute
    rule.refresh_from_db()
    assert rule.last_evaluated_at is not None
    assert AlertTransition.objects.count() == 1
    first = Heartbeat.objects.get(name="alerts.evaluate").last_run
    Heartbeat.objects.filter(name="alerts.evaluate").update(last_run=first - timedelta(minutes=1))
    assert tasks.evaluate_alerts() == 0  # ran, nothing new
    assert Heartbeat.objects.get(name="alerts.evaluate").last_run > first - timedelta(minutes=1)


def test_health_is_limited_when_alert_evaluation_has_not_run_for_3_minutes():
    now = timezone.now()
    Heartbeat.objects.create(name="scheduler", last_run=now)
    Heartbeat.objects.create(name="alerts.evaluate", last_run=now - timedelta(minutes=4))
    assert health.check_scheduler()["status"] == "stale"
    body, status = health.full_health()
    assert (body["status"], status) == ("limited", 200)
    Heartbeat.objects.filter(name="alerts.evaluate").update(last_run=now)
    assert health.check_scheduler()["status"] == "ok"


def test_health_is_limited_when_rules_exist_but_were_never_evaluated():
    Heartbeat.objects.create(name="scheduler", last_run=timezone.now())
    assert health.check_scheduler()["status"] == "ok"
    AlertRule.objects.create(name="r", metric="failed_logins", warning_threshold=5)
    assert health.check_scheduler()["status"] == "stale"


def test_purge_expired_removes_old_resolved_alerts_only(settings):
    settings.RETENTION_RESOLVED_ALERTS_DAYS = 30
    rule = AlertRule.objects.create(name="r", metric="failed_logins", warning_threshold=5)
    old = timezone.now() - timedelta(days=31)
    Alert.objects.create(rule=rule, severity="warning", state="resolved", started_at=old, resolved_at=old)
    Alert.objects.create(rule=rule, severity="warning", state="resolved", resolved_at=timezone.now())
    Alert.objects.create(rule=rule, severity="warning", state="firing", started_at=old)
    out = StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    assert Alert.objects.count() == 3
    call_command("purge_expired", stdout=StringIO())
    assert Alert.objects.count() == 2 and not Alert.objects.filter(resolved_at__lt=old + timedelta(days=1)).exists()


def test_queries_give_firing_now_timeline_and_mttr():
    rule = AlertRule.objects.create(name="r", metric="failed_logins", warning_threshold=5)
    now = timezone.now()
    Alert.objects.create(
        rule=rule,
        severity="critical",
        state="resolved",
        fired_at=now - timedelta(minutes=30),
        resolved_at=now - timedelta(minutes=10),
    )
    Alert.objects.create(
        rule=rule,
        severity="critical",
        state="resolved",
        fired_at=now - timedelta(minutes=50),
        resolved_at=now - timedelta(minutes=10),
    )
    Alert.objects.create(rule=rule, severity="warning", state="firing", fired_at=now)
    assert queries.mttr(now - timedelta(hours=1), now) == timedelta(minutes=30)
    assert [a["severity"] for a in queries.firing_now()] == ["warning"]
    assert queries.firing_counts() == {"info": 0, "warning": 1, "critical": 0}
    assert queries.fired_resolved(now - timedelta(hours=1), now + timedelta(seconds=1)) == {"fired": 3, "resolved": 2}


def test_prometheus_exports_firing_alerts_and_notification_results(client):
    rule = AlertRule.objects.create(name="r", metric="failed_logins", warning_threshold=5)
    Alert.objects.create(rule=rule, severity="critical", state="firing")
    text = client.get("/metrics").content.decode()
    assert 'alerts_firing{severity="critical"} 1.0' in text
    assert "# TYPE alert_notifications_total counter" in text


def test_send_report_emails_a_summary(alice):
    out = StringIO()
    call_command("send_report", "--period", "daily", stdout=out)
    assert "emailed 1 recipient(s)" in out.getvalue()
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"] and "daily report" in message.subject
    for section in (
        "AI usage and cost",
        "Error-rate trend",
        "Queue and HTTP health",
        "Alerts",
        "Top errors",
        "Feedback",
    ):
        assert section in message.body


def test_send_report_rejects_an_unknown_period():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("send_report", "--period", "monthly", stdout=StringIO())


def test_the_report_summarises_real_data_and_goes_to_chat_channels(receiver, make_channel, alice):
    from tests.alerts.test_catalog import ai_calls

    ai_calls(10, errors=2)
    make_channel(receiver.url("/slack"), kind="slack")
    out = StringIO()
    call_command("send_report", "--period", "weekly", stdout=out)
    assert "slack 1: sent" in out.getvalue()
    body = mail.outbox[0].body
    assert "calls 10 (previous period 0), errors 2" in body and "error rate 20.00 %" in body
    assert "summarise/gpt-4o" in body  # top errors
    assert "high-priority pending: 0" in body
    assert "AI usage and cost" in receiver.bodies()[0]["text"]


def test_a_second_beat_does_not_send_the_report_twice(alice):
    assert "emailed 1" in tasks.send_report("daily")
    assert tasks.send_report("daily") == "already sent in this hour"
    assert len(mail.outbox) == 1


def test_seed_demo_gives_alerts_a_history():
    from alerts import demo
    from tests.alerts.test_catalog import ai_calls

    ai_calls(50, errors=25, at=timezone.now() - timedelta(hours=3))
    out = StringIO()
    demo.seed(days=1, events=0, stdout=out)
    assert AlertRule.objects.count() == 20
    assert Alert.objects.filter(rule__default_key="ai_error_rate", state="resolved", fired_at__isnull=False).exists()
    assert "alerts fired" in out.getvalue()


def test_smtp_down_still_sends_the_report_to_chat_and_fails_loudly(receiver, make_channel, alice, settings):
    from django.core.management.base import CommandError

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        8499,
        2,
    )  # nothing listens (receivers take the lowest free port from 8400)
    make_channel(receiver.url("/slack"), kind="slack")
    with pytest.raises(CommandError, match="email failed.*slack 1: sent"):
        call_command("send_report", "--period", "daily", stdout=StringIO())
    assert "AI usage and cost" in receiver.bodies()[0]["text"]


def test_a_chat_channel_failing_with_an_ssl_error_makes_send_report_fail_naming_it(receiver, make_channel, alice):
    """The receiver speaks plain HTTP, so https to it fails in the TLS handshake (an SSL error)."""
    from django.core.management.base import CommandError

    make_channel(receiver.url("/ok"), kind="slack", name="team-chat")
    make_channel(f"https://127.0.0.1:{receiver.port}/tls", kind="discord", name="ops-chat")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match=r"not fully sent: not sent: ops-chat: SSLError.*sent: emailed 1"):
        call_command("send_report", "--period", "daily", stdout=out, stderr=err)
    assert "sent: emailed 1 recipient(s)" in out.getvalue() and "sent: team-chat: sent" in out.getvalue()
    assert "NOT sent: ops-chat: SSLError" in err.getvalue()
    assert len(mail.outbox) == 1 and [r["path"] for r in receiver.requests] == ["/ok"]


def test_a_chat_channel_disabled_by_the_breaker_is_reported_as_not_sent(make_channel, alice):
    from django.core.management.base import CommandError

    make_channel("https://hooks.slack.com/services/x", kind="slack", name="broken", disabled_at=timezone.now())
    with pytest.raises(CommandError, match="broken: disabled by the circuit breaker"):
        call_command("send_report", "--period", "daily", stdout=StringIO(), stderr=StringIO())
    assert len(mail.outbox) == 1  # the email still went out


def test_report_not_sent_survives_pickling_for_celery():
    import pickle

    from alerts.reports import ReportNotSent

    exc = pickle.loads(pickle.dumps(ReportNotSent(["emailed 1 recipient(s)"], ["chat: HTTP 500"])))  # noqa: S301 (our own bytes)
    assert str(exc) == "not sent: chat: HTTP 500 (sent: emailed 1 recipient(s))"
