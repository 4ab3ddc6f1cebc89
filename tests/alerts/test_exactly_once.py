"""End to end through a real Celery worker and a real HTTP receiver."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from alerts.engine import evaluate_rule
from alerts.models import AlertRule, AlertTransition, NotificationDelivery
from conftest import wait_for
from tests.alerts.conftest import clear_failed_logins, failed_logins

pytestmark = pytest.mark.celery_worker
MINUTE = timedelta(minutes=1)


def concurrently(rule_id: int, now) -> None:
    """Two evaluations of one rule at the same moment, in two threads with their own connections."""
    barrier = threading.Barrier(2)
    errors = []

    def run(offset):
        try:
            barrier.wait()
            evaluate_rule(AlertRule.objects.get(pk=rule_id), now + offset)
        except Exception as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(timedelta(milliseconds=ms),)) for ms in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def all_delivered():
    return NotificationDelivery.objects.exists() and not NotificationDelivery.objects.filter(status="pending").exists()


def test_it_notifies_exactly_once_per_transition_with_two_concurrent_evaluations(
    celery_worker, receiver, make_rule, make_channel
):
    make_channel(receiver.url())
    rule = make_rule(name="Logins", repeat_interval_minutes=60)
    now = timezone.now()
    failed_logins(6, at=now - MINUTE)
    concurrently(rule.pk, now)
    wait_for(all_delivered)
    clear_failed_logins()
    concurrently(rule.pk, now + MINUTE)
    wait_for(lambda: NotificationDelivery.objects.filter(event="resolved", status="sent").exists())
    assert list(AlertTransition.objects.order_by("at").values_list("reason", flat=True)) == ["fired", "resolved"]
    assert [b["event"] for b in receiver.bodies()] == ["firing", "resolved"]
    assert NotificationDelivery.objects.count() == 2


def test_it_retries_until_the_receiver_comes_back(celery_worker, receiver, make_rule, make_channel):
    make_channel(receiver.url())
    receiver.answer(503, 500, 429)
    failed_logins(6)
    evaluate_rule(make_rule(), timezone.now())
    delivery = wait_for(lambda: NotificationDelivery.objects.filter(status="sent").first(), timeout=30)
    assert delivery.attempts == 4 and delivery.status_code == 200
    assert [r["status"] for r in receiver.requests] == [503, 500, 429, 200]


def test_it_gives_up_after_the_retry_budget(celery_worker, receiver, make_rule, make_channel, settings):
    settings.NOTIFY_MAX_RETRIES = 2
    make_channel(receiver.url())
    receiver.default = (502, {})
    failed_logins(6)
    evaluate_rule(make_rule(), timezone.now())
    delivery = wait_for(lambda: NotificationDelivery.objects.filter(status="failed").first(), timeout=30)
    assert delivery.attempts == 3 and delivery.status_code == 502
    assert len(receiver.requests) == 3


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="skip_locked row locks are PostgreSQL's; SQLite serialises writers"
)
def test_a_rule_locked_by_another_worker_is_skipped(transactional_db, make_rule):
    from django.db import transaction

    rule = make_rule()
    failed_logins(6)
    locked = threading.Event()
    release = threading.Event()

    def hold():
        with transaction.atomic():
            AlertRule.objects.select_for_update().get(pk=rule.pk)
            locked.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(10)
    try:
        assert evaluate_rule(rule, timezone.now()) == []
    finally:
        release.set()
        holder.join()
    assert evaluate_rule(rule, timezone.now()) != []


def test_send_test_notification_reaches_the_receiver_through_the_worker(
    celery_worker, receiver, make_channel, client_for, alice
):
    channel = make_channel(receiver.url(), secret="s")
    response = client_for(alice).post(
        "/admin/alerts/notificationchannel/", {"action": "send_test_notification", "_selected_action": [channel.pk]}
    )
    assert response.status_code == 302
    wait_for(lambda: NotificationDelivery.objects.filter(status="sent").exists())
    assert receiver.bodies()[0]["event"] == "test"


def test_delivery_succeeds_once_a_receiver_that_was_down_comes_back(
    celery_worker, receiver, make_rule, make_channel, settings
):
    from tests.alerts.conftest import Receiver

    settings.NOTIFY_RETRY_BASE_SECONDS, settings.NOTIFY_RETRY_MAX_SECONDS = 0.5, 1.0
    port = receiver.port
    receiver.close()  # down: connections are refused
    make_channel(f"http://127.0.0.1:{port}/hook")
    failed_logins(6)
    evaluate_rule(make_rule(), timezone.now())
    wait_for(lambda: NotificationDelivery.objects.filter(attempts__gte=1, error__icontains="refused").exists())
    back = Receiver(port)
    try:
        delivery = wait_for(lambda: NotificationDelivery.objects.filter(status="sent").first(), timeout=30)
        assert delivery.attempts >= 2 and [b["event"] for b in back.bodies()] == ["firing"]
    finally:
        back.close()


def test_two_beats_in_the_same_minute_evaluate_once(transactional_db, make_rule, monkeypatch):
    """C1: the minute claim lets exactly one of two simultaneous evaluate_alerts tasks run."""
    from alerts import engine, tasks

    make_rule()
    failed_logins(6)
    runs = []
    real = engine.evaluate_all
    monkeypatch.setattr(engine, "evaluate_all", lambda now: runs.append(now) or real(now))
    barrier = threading.Barrier(2)

    def beat():
        try:
            barrier.wait()
            tasks.evaluate_alerts.apply()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(runs) == 1
    assert AlertTransition.objects.count() == 1
