"""Retention: pings after RETENTION_PINGS_DAYS, monitor results after RETENTION_MONITOR_RESULTS_DAYS.

Flips are kept: they are small, one per outage edge, and they are the uptime history.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from monitoring_site.retention import purge_in_batches


def purge(dry_run: bool) -> dict[str, int]:
    from checks.models import MonitorResult, Ping

    now = timezone.now()
    tables = {
        "pings": Ping.objects.filter(created_at__lt=now - timedelta(days=settings.RETENTION_PINGS_DAYS)),
        "monitor results": MonitorResult.objects.filter(
            checked_at__lt=now - timedelta(days=settings.RETENTION_MONITOR_RESULTS_DAYS)
        ),
    }
    if dry_run:
        return {name: qs.count() for name, qs in tables.items()}
    return {name: purge_in_batches(qs) for name, qs in tables.items()}
