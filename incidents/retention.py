"""Retention: deploy/config/note events after RETENTION_EVENTS_DAYS. Incidents are kept (post-mortems)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from monitoring_site.retention import purge_in_batches


def purge(dry_run: bool) -> dict[str, int]:
    from incidents.models import Event

    expired = Event.objects.filter(timestamp__lt=timezone.now() - timedelta(days=settings.RETENTION_EVENTS_DAYS))
    if dry_run:
        return {"events": expired.count()}
    return {"events": purge_in_batches(expired)}
