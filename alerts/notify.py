"""From a transition to delivery rows: silences, routing by severity, and the send itself.

Delivery rows are written in the evaluation's transaction (unique per channel, alert and
transition) and the Celery tasks are enqueued on commit; a sweeper re-enqueues rows whose task
never ran, so delivery is at least once while the row's claim keeps it from being sent twice.
"""

import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import models, transaction
from django.utils import timezone

from alerts.models import Alert, AlertTransition, NotificationChannel, NotificationDelivery, Silence

log = logging.getLogger(__name__)
PAUSE_AFTER = 4
DISABLE_AFTER = 40
MAX_PAUSE = timedelta(hours=24)


def is_silenced(transition: AlertTransition) -> bool:
    rule = transition.alert.rule
    group = transition.alert.group_key
    return any(s.matches(rule, transition.severity, group) for s in Silence.objects.active(transition.at))


def route(transition: AlertTransition) -> list[NotificationChannel]:
    """Channels for a transition: the rule's (or all), enabled, accepting its severity.

    A resolve goes to exactly the channels that were told about the firing: an incident paged at
    critical is closed even after it de-escalated, and a silenced firing gets no lone resolve.
    """
    alert = transition.alert
    if transition.event == "resolved":
        told = alert.deliveries.exclude(event="resolved").values_list("channel_id", flat=True)
        channels = list(NotificationChannel.objects.filter(pk__in=told))
    else:
        channels = [
            c for c in alert.rule.channels.all() or NotificationChannel.objects.all() if c.accepts(transition.severity)
        ]
    return [c for c in channels if c.enabled and not c.disabled_at]


def dispatch(transition: AlertTransition) -> list[NotificationDelivery]:
    """Record the deliveries of a transition and enqueue them once the transaction commits."""
    if is_silenced(transition):
        AlertTransition.objects.filter(pk=transition.pk).update(silenced=True)
        return []
    rows = [
        NotificationDelivery(channel=c, alert=transition.alert, transition=transition, event=transition.event)
        for c in route(transition)
    ]
    created = NotificationDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(NotificationDelivery.objects.filter(transition=transition).values_list("pk", flat=True))
    transaction.on_commit(lambda: enqueue(ids))
    return created


def enqueue(ids) -> None:
    from alerts.tasks import deliver_notification

    for pk in ids:
        try:
            deliver_notification.delay(pk)
        except Exception:  # broker down: the row stays pending and the sweeper sends it later
            log.warning("could not enqueue notification delivery %s", pk, exc_info=True)


def sweep_stale(now=None) -> int:
    """Re-enqueue pending deliveries whose task was lost (broker outage, worker killed)."""
    now = now or timezone.now()
    stale = NotificationDelivery.objects.filter(
        status=NotificationDelivery.Status.PENDING, created_at__lt=now - timedelta(minutes=2)
    )
    stale = stale.filter(models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=now))
    stale = stale.filter(
        models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lt=now - timedelta(minutes=5))
    )
    ids = list(stale.values_list("pk", flat=True)[:500])
    enqueue(ids)
    return len(ids)


# --- Sending -----------------------------------------------------------------------------------


@dataclass
class Result:
    """What a delivery attempt came to: done, or retry after `retry_in` seconds."""

    done: bool
    retry_in: float | None = None


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """Full-jitter exponential backoff, bounded; a receiver's Retry-After is a lower bound."""
    base, cap = settings.NOTIFY_RETRY_BASE_SECONDS, settings.NOTIFY_RETRY_MAX_SECONDS
    delay = random.uniform(base, min(cap, base * 2**attempt))
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


def attempt(delivery_id: int, retries_left: int) -> Result:
    """Send one delivery once; update the log row and the channel's breaker."""
    from alerts.transports import Notice, transport_for

    delivery = NotificationDelivery.objects.select_related("channel").filter(pk=delivery_id).first()
    if delivery is None or not delivery.claim():
        return Result(done=True)
    channel = delivery.channel
    if channel.disabled_at or channel.is_paused():
        _finish(delivery, False, None, f"channel {'disabled' if channel.disabled_at else 'paused'}; not sent", 0)
        return Result(done=True)
    started = time.monotonic()
    outcome = transport_for(channel).send(Notice.for_delivery(delivery))
    duration = int((time.monotonic() - started) * 1000)
    is_test = delivery.event == "test"
    if outcome.ok or outcome.permanent or retries_left <= 0 or is_test:
        _finish(delivery, outcome.ok, outcome.status_code, outcome.error, duration)
        _record_breaker(channel, outcome.ok)
        return Result(done=True)
    retry_in = backoff(delivery.attempts, outcome.retry_after)
    _reschedule(delivery, outcome.status_code, outcome.error, duration, retry_in)
    _record_breaker(channel, False)
    return Result(done=False, retry_in=retry_in)


def _finish(delivery, ok: bool, status_code, error: str, duration: int) -> None:
    status = NotificationDelivery.Status.SENT if ok else NotificationDelivery.Status.FAILED
    NotificationDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        status_code=status_code,
        error=error[:2000],
        duration_ms=duration,
        sent_at=timezone.now() if ok else None,
        claimed_until=None,
    )
    log.info(
        "notification %s to channel %s (%s): %s %s",
        delivery.event,
        delivery.channel.name,
        delivery.channel.kind,
        status,
        status_code or error[:200],
    )


def _reschedule(delivery, status_code, error: str, duration: int, retry_in: float) -> None:
    NotificationDelivery.objects.filter(pk=delivery.pk).update(
        status_code=status_code,
        error=error[:2000],
        duration_ms=duration,
        claimed_until=None,
        next_attempt_at=timezone.now() + timedelta(seconds=retry_in),
    )


def _record_breaker(channel: NotificationChannel, ok: bool) -> None:
    """Pause after 4 consecutive failures (1 min, doubling to 24 h); disable after 40."""
    if ok:
        NotificationChannel.objects.filter(pk=channel.pk).exclude(consecutive_failures=0, paused_until=None).update(
            consecutive_failures=0, paused_until=None
        )
        return
    NotificationChannel.objects.filter(pk=channel.pk).update(consecutive_failures=models.F("consecutive_failures") + 1)
    channel.refresh_from_db(fields=["consecutive_failures", "disabled_at"])
    failures = channel.consecutive_failures
    if failures >= DISABLE_AFTER and channel.disabled_at is None:
        _disable(channel)
    elif failures >= PAUSE_AFTER:
        pause = min(timedelta(minutes=2 ** (failures - PAUSE_AFTER)), MAX_PAUSE)
        NotificationChannel.objects.filter(pk=channel.pk).update(paused_until=timezone.now() + pause)


def _disable(channel: NotificationChannel) -> None:
    if not NotificationChannel.objects.filter(pk=channel.pk, disabled_at__isnull=True).update(
        disabled_at=timezone.now(), enabled=False
    ):
        return  # another worker disabled it and told the Admins already
    subject = f"[monitoring] notification channel {channel.name!r} disabled after {DISABLE_AFTER} failures"
    body = (
        f"The {channel.kind} channel {channel.name!r} ({channel.masked_target}) failed {DISABLE_AFTER} times in a row "
        f"and was disabled. Fix the receiver, then re-enable it in the admin: {settings.SITE_URL}/admin/alerts/notificationchannel/{channel.pk}/change/"
    )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, admin_emails(), fail_silently=True)


def admin_emails() -> list[str]:
    from monitoring_site.roles import ADMIN

    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(models.Q(is_superuser=True) | models.Q(groups__name=ADMIN))
    )
    return sorted({u.email for u in users if u.email})


def send_test(channel: NotificationChannel) -> NotificationDelivery:
    """Queue a test notification (never retried, like healthchecks' test sends)."""
    delivery = NotificationDelivery.objects.create(channel=channel, event="test")
    transaction.on_commit(lambda: enqueue([delivery.pk]))
    return delivery


def alert_for_test(channel: NotificationChannel) -> Alert:
    """An unsaved alert shaped like a real one, for test notifications."""
    from alerts.models import AlertRule

    rule = AlertRule(pk=0, name="Test notification", metric="test")
    return Alert(
        pk=0,
        rule=rule,
        severity="warning",
        state="firing",
        value=1.0,
        threshold=0.0,
        message=f"Test notification for channel {channel.name}",
        started_at=timezone.now(),
    )
