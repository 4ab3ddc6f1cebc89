"""Thin Celery tasks: evaluation (beat, every minute), delivery (own queue), reports, retention."""

import logging

from celery import shared_task
from django.utils import timezone

from alerts import engine, notify

log = logging.getLogger(__name__)


@shared_task(name="alerts.tasks.evaluate_alerts", ignore_result=True)
def evaluate_alerts() -> int:
    """One evaluation per minute, however many beats send this task (minute claim + lock)."""
    now = timezone.now()
    if not engine.claim_minute(now):
        return 0
    with engine.run_lock() as held:
        if not held:
            return 0
        transitions = engine.evaluate_all(now)
    log.info(
        "alert evaluation: %d rule(s) at %s, %d transition(s)", _enabled_rules(), now.isoformat(), len(transitions)
    )
    notify.sweep_stale()
    return len(transitions)


def _enabled_rules() -> int:
    from alerts.models import AlertRule

    return AlertRule.objects.filter(enabled=True).count()


@shared_task(name="alerts.tasks.deliver_notification", bind=True, ignore_result=True, acks_late=True, max_retries=None)
def deliver_notification(self, delivery_id: int) -> None:
    """Send one delivery; retries are bounded by NOTIFY_MAX_RETRIES (counted on the row)."""
    from django.conf import settings

    retries_left = settings.NOTIFY_MAX_RETRIES - self.request.retries
    result = notify.attempt(delivery_id, retries_left)
    if not result.done:
        raise self.retry(countdown=result.retry_in)


@shared_task(name="alerts.tasks.send_report", ignore_result=True)
def send_report(period: str) -> str:
    """Send the report once per hour at most, so a second beat does not send it twice."""
    from alerts import reports

    now = timezone.now()
    if not engine.claim_period(f"alerts.report.{period}", now, now.replace(minute=0, second=0, microsecond=0)):
        return "already sent in this hour"
    return reports.send(period)


@shared_task(name="alerts.tasks.purge_resolved_alerts", ignore_result=True)
def purge_resolved_alerts() -> dict[str, int]:
    from alerts import retention

    return retention.purge(dry_run=False)
