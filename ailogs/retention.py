"""purge_expired: delete AI calls older than RETENTION_AI_LOGS_DAYS in short batches.

Hourly rollups stay: they are small, keep long-range charts, and the Prometheus counters are
summed from them, so a purge never makes a counter go down.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ailogs.models import AiCall
from monitoring_site.retention import purge_in_batches


def expired():
    cutoff = timezone.now() - timedelta(days=settings.RETENTION_AI_LOGS_DAYS)
    return AiCall.objects.filter(timestamp__lt=cutoff)


def purge(dry_run: bool) -> dict[str, int]:
    if dry_run:
        return {"ai calls": expired().count()}
    return {"ai calls": purge_in_batches(expired())}
