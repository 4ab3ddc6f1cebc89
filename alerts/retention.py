"""Retention: resolved alerts (with their transitions and deliveries) after RETENTION_RESOLVED_ALERTS_DAYS."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from monitoring_site.retention import purge_in_batches


def purge(dry_run: bool) -> dict[str, int]:
    from alerts.models import Alert

    cutoff = timezone.now() - timedelta(days=settings.RETENTION_RESOLVED_ALERTS_DAYS)
    expired = Alert.objects.filter(state=Alert.State.RESOLVED, resolved_at__lt=cutoff)
    if dry_run:
        return {"resolved alerts": expired.count()}
    return {"resolved alerts": purge_in_batches(expired)}
