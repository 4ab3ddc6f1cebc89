"""Notifications: payloads, routing, repeats, acknowledgement, silences, retries and the breaker.

Deliveries are sent here by calling the task's body (notify.attempt) in the test thread against a
real HTTP receiver; test_exactly_once.py runs the same path through a real Celery worker.
"""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from alerts import notify, services
from alerts.engine import evaluate_rule
from alerts.models import Alert, AlertTransition, NotificationDelivery, Silence
from tests.alerts.conftest import clear_failed_logins, failed_logins

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)
ROUTING_KEY = "R0UT1NGKEY" + "x" * 22


def send_pending(retries_left: int = 0) -> None:
    for pk in NotificationDelivery.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True):
        notify.attempt(pk, retries_left)


def fire(rule, now, count=6):
    failed_logins(count, at=now - MINUTE)
    return evaluate_rule(rule, now)


def test_the_webhook_gets_the_spec_payload_signed_with_hmac(receiver, make_rule, make_channel):
    make_channel(receiver.url(), secret="topsecret")
    rule = make_rule(name="Logins")
    fire(rule, timezone.now())
    send_pending()
    request = receiver.requests[0]
    expected = hmac.new(b"topsecret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Signature-256"] == f"sha256={expected}"
    body = json.loads(request["body"])
    assert body["event"] == "firing"
    assert body["alert"]["rule_name"] == "Logins"
    assert {
        "id",
        "rule",
        "severity",
        "state",
        "value",
        "threshold",
        "message",
        "started_at",
        "resolved_at",
        "acknowledged_by",
        "acknowledged_at",
    } <= set(body["alert"])
    assert NotificationDelivery.objects.get().status == "sent"


def test_an_unsigned_webhook_has_no_signature_header(receiver, make_rule, make_channel):
    make_channel(receiver.url())
    fire(make_rule(), timezone.now())
    send_pending()
    assert "X-Signature-256" not in receiver.requests[0]["headers"]


def test_pagerduty_triggers_and_resolves_with_one_dedup_key_per_rule(receiver, make_rule, make_channel):
    make_channel(ROUTING_KEY, kind="pagerduty", min_severity="critical")
    rule = make_rule()
    now = timezone.now()
    fire(rule, now, count=25)
    clear_failed_logins()
    evaluate_rule(rule, now + MINUTE)
    send_pending()
    trigger, resolve = receiver.bodies()
    assert {r["path"] for r in receiver.requests} == {"/pagerduty"}
    assert trigger["event_action"] == "trigger" and resolve["event_action"] == "resolve"
    assert trigger["routing_key"] == resolve["routing_key"] == ROUTING_KEY
    assert trigger["dedup_key"] == resolve["dedup_key"] == f"monitoring-rule-{rule.pk}"
    assert trigger["payload"]["severity"] == "critical"
    assert {"summary", "source", "timestamp"} <= set(trigger["payload"])


def test_routing_critical_pages_and_chats_warning_only_chats(receiver, make_rule, make_channel):
    pager = make_channel(ROUTING_KEY, kind="pagerduty", min_severity="critical")
    slack = make_channel(receiver.url("/slack"), kind="slack", min_severity="warning")
    discord = make_channel(receiver.url("/discord"), kind="discord", min_severity="warning")
    rule = make_rule()
    now = timezone.now()
    fire(rule, now)
    assert set(NotificationDelivery.objects.values_list("channel", flat=True)) == {slack.pk, discord.pk}
    failed_logins(20, at=now)
    evaluate_rule(rule, now + MINUTE)
    escalated = AlertTransition.objects.get(reason="escalated")
    assert set(escalated.deliveries.values_list("channel", flat=True)) == {pager.pk, slack.pk, discord.pk}
    send_pending()
    slack_body = json.loads(next(r["body"] for r in receiver.requests if r["path"] == "/slack"))
    assert "Logins" in slack_body["text"] or rule.name in slack_body["text"]
    assert "content" in json.loads(next(r["body"] for r in receiver.requests if r["path"] == "/discord"))


def test_info_is_recorded_only(make_channel):
    channel = make_channel("https://example.com/x", min_severity="info")
    assert not channel.accepts("info") and channel.accepts("warning")


def test_it_repeats_while_firing_and_stops_once_acknowledged(receiver, make_rule, make_channel):
    make_channel(receiver.url())
    rule = make_rule(repeat_interval_minutes=5)
    now = timezone.now()
    fire(rule, now)
    evaluate_rule(rule, now + 4 * MINUTE)
    evaluate_rule(rule, now + 5 * MINUTE)
    assert list(AlertTransition.objects.order_by("at").values_list("reason", flat=True)) == ["fired", "repeat"]
    services.acknowledge(Alert.objects.get(), None)
    evaluate_rule(rule, now + 10 * MINUTE)
    evaluate_rule(rule, now + 15 * MINUTE)
    clear_failed_logins()
    evaluate_rule(rule, now + 16 * MINUTE)
    evaluate_rule(rule, now + 17 * MINUTE)
    send_pending()
    assert [b["event"] for b in receiver.bodies()] == ["firing", "firing", "resolved"]


def test_a_matching_silence_records_but_does_not_send(receiver, make_rule, make_channel):
    make_channel(receiver.url())
    rule = make_rule(filters={"tags": {"queue": "celery"}})
    now = timezone.now()
    Silence.objects.create(
        tags={"queue": "celery"}, starts_at=now - MINUTE, ends_at=now + timedelta(hours=1), comment="maintenance"
    )
    fire(rule, now)
    assert AlertTransition.objects.get().silenced is True
    assert NotificationDelivery.objects.count() == 0


@pytest.mark.parametrize(
    ("silence", "silenced"),
    [
        ({"severity": "critical"}, False),
        ({"tags": {"queue": "other"}}, False),
        ({"severity": "warning"}, True),
        ({}, True),
    ],
)
def test_silence_matchers(make_rule, silence, silenced):
    rule = make_rule(filters={"tags": {"queue": "celery"}})
    now = timezone.now()
    Silence.objects.create(starts_at=now - MINUTE, ends_at=now + timedelta(hours=1), **silence)
    Silence.objects.create(ends_at=now - timedelta(minutes=1), starts_at=now - timedelta(hours=1))  # over
    fire(rule, now)
    assert AlertTransition.objects.get().silenced is silenced


def test_a_4xx_is_permanent_and_not_retried(receiver, make_rule, make_channel):
    make_channel(receiver.url())
    receiver.answer(404)
    fire(make_rule(), timezone.now())
    send_pending(retries_left=5)
    delivery = NotificationDelivery.objects.get()
    assert (delivery.status, delivery.status_code, delivery.attempts) == ("failed", 404, 1)


def test_a_5xx_stays_pending_for_a_retry_and_a_429_honours_retry_after(receiver, make_rule, make_channel, settings):
    settings.NOTIFY_RETRY_MAX_SECONDS = 300
    make_channel(receiver.url())
    receiver.answer(503)
    fire(make_rule(), timezone.now())
    pk = NotificationDelivery.objects.get().pk
    assert notify.attempt(pk, retries_left=5).done is False
    receiver.answer(429, headers={"Retry-After": "7"})
    result = notify.attempt(pk, retries_left=4)
    assert result.done is False and result.retry_in >= 7
    assert NotificationDelivery.objects.get().status == "pending"
    assert notify.attempt(pk, retries_left=3).done is True
    assert NotificationDelivery.objects.get().status == "sent"


def test_backoff_is_bounded_and_jittered(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS, settings.NOTIFY_RETRY_MAX_SECONDS = 2, 300
    delays = [notify.backoff(attempt) for attempt in range(1, 20) for _ in range(5)]
    assert all(2 <= d <= 300 for d in delays)
    assert len(set(delays)) > 1
    assert notify.backoff(1, retry_after=7) >= 7 and notify.backoff(1, retry_after=10_000) <= 300


def test_the_breaker_pauses_after_4_failures_and_disables_after_40_telling_admins(
    receiver, make_rule, make_channel, alice
):
    channel = make_channel(receiver.url())
    receiver.default = (500, {})
    for _ in range(4):
        NotificationDelivery.objects.create(channel=channel, event="test")
        send_pending()
    channel.refresh_from_db()
    assert channel.consecutive_failures == 4 and channel.is_paused()
    NotificationDelivery.objects.create(channel=channel, event="test")
    send_pending()
    assert len(receiver.requests) == 4
    assert "paused" in NotificationDelivery.objects.order_by("-pk").first().error
    channel.consecutive_failures, channel.paused_until = 39, None
    channel.save()
    NotificationDelivery.objects.create(channel=channel, event="test")
    send_pending()
    channel.refresh_from_db()
    assert channel.disabled_at is not None and channel.enabled is False
    assert mail.outbox[-1].to == ["alice@example.com"] and "disabled" in mail.outbox[-1].subject
    assert "/hook" not in mail.outbox[-1].body  # the webhook URL is a secret


def test_the_pause_doubles_up_to_a_day(make_channel):
    channel = make_channel("https://example.com/x")
    pauses = []
    for failures in (4, 5, 6, 20, 39):
        channel.consecutive_failures = failures - 1
        channel.save()
        notify._record_breaker(channel, ok=False)
        channel.refresh_from_db()
        pauses.append(round((channel.paused_until - timezone.now()).total_seconds() / 60))
    assert pauses[:3] == [1, 2, 4] and pauses[3] == pauses[4] == 24 * 60


def test_a_success_closes_the_breaker(receiver, make_channel):
    channel = make_channel(receiver.url(), consecutive_failures=3)
    NotificationDelivery.objects.create(channel=channel, event="test")
    send_pending()
    channel.refresh_from_db()
    assert channel.consecutive_failures == 0


def test_email_channels_use_django_mail(make_rule, make_channel):
    make_channel("ops@example.com, oncall@example.com", kind="email")
    fire(make_rule(name="Logins"), timezone.now())
    send_pending()
    assert mail.outbox[0].to == ["ops@example.com", "oncall@example.com"]
    assert "Logins" in mail.outbox[0].subject and "WARNING" in mail.outbox[0].subject


def test_a_delivery_is_claimed_by_one_sender_only(make_channel):
    delivery = NotificationDelivery.objects.create(channel=make_channel("https://example.com/x"), event="test")
    assert delivery.claim() is True
    assert NotificationDelivery.objects.get(pk=delivery.pk).claim() is False


def test_the_sweeper_re_enqueues_deliveries_whose_task_was_lost(make_channel, monkeypatch):
    """At least once: a worker killed mid-send leaves a pending row; the next evaluation resends it."""
    channel = make_channel("https://example.com/x")
    old = timezone.now() - timedelta(minutes=10)
    lost = NotificationDelivery.objects.create(channel=channel, event="test", created_at=old, claimed_until=old)
    NotificationDelivery.objects.create(channel=channel, event="test")  # just queued: its task is on the way
    NotificationDelivery.objects.create(channel=channel, event="test", created_at=old, status="sent")
    queued = []
    monkeypatch.setattr(notify, "enqueue", queued.extend)
    assert notify.sweep_stale() == 1
    assert queued == [lost.pk]


def test_prometheus_counts_notifications_by_kind_and_result(client, make_channel):
    channel = make_channel("https://example.com/x", kind="slack")
    for status in ("sent", "sent", "failed", "pending"):
        NotificationDelivery.objects.create(channel=channel, event="test", status=status)
    text = client.get("/metrics").content.decode()
    assert 'alert_notifications_total{kind="slack",result="sent"} 2.0' in text
    assert 'alert_notifications_total{kind="slack",result="failed"} 1.0' in text


def test_a_firing_silenced_throughout_gets_no_lone_resolve(receiver, make_rule, make_channel):
    make_channel(receiver.url())
    rule = make_rule()
    now = timezone.now()
    silence = Silence.objects.create(rule=rule, starts_at=now - MINUTE, ends_at=now + MINUTE)
    fire(rule, now)
    silence.delete()
    clear_failed_logins()
    evaluate_rule(rule, now + 2 * MINUTE)
    assert AlertTransition.objects.filter(reason="resolved").exists()
    assert NotificationDelivery.objects.count() == 0


def test_a_pagerduty_test_notification_resolves_its_incident_at_once(receiver, make_channel):
    channel = make_channel(ROUTING_KEY, kind="pagerduty", min_severity="critical")
    NotificationDelivery.objects.create(channel=channel, event="test")
    send_pending()
    trigger, resolve = receiver.bodies()
    assert (trigger["event_action"], resolve["event_action"]) == ("trigger", "resolve")
    assert trigger["dedup_key"] == resolve["dedup_key"] == "monitoring-rule-test"


def test_webhook_urls_never_reach_the_logs(receiver, make_rule, make_channel, caplog):
    """W7: logs name the channel, never its URL (the path is the credential)."""
    import logging

    caplog.set_level(logging.DEBUG)
    make_channel(receiver.url("/services/T0/B0/secret-path-token"), kind="slack")
    receiver.answer(500)
    fire(make_rule(), timezone.now())
    send_pending(retries_left=1)
    send_pending(retries_left=0)
    assert NotificationDelivery.objects.get().status == "sent"
    assert "secret-path-token" not in caplog.text
    assert "secret-path-token" not in NotificationDelivery.objects.get().error
