"""Retention: dashboard render timings after DASHBOARD_RENDER_TIMINGS_DAYS (the longest range is 30 days)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from monitoring_site.retention import purge_in_batches


def purge(dry_run: bool) -> dict[str, int]:
    from dashboard.models import RenderTiming

    cutoff = timezone.now() - timedelta(days=settings.DASHBOARD_RENDER_TIMINGS_DAYS)
    expired = RenderTiming.objects.filter(recorded_at__lt=cutoff)
    if dry_run:
        return {"dashboard render timings": expired.count()}
    return {"dashboard render timings": purge_in_batches(expired)}
