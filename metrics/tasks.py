from celery import shared_task
from django.conf import settings
from django.utils import timezone

from metrics import collectors, partitions, retention, rollups


@shared_task(ignore_result=True, expires=55)
def collect_metrics() -> dict[str, int]:
    return collectors.collect()


@shared_task(ignore_result=True, expires=600)
def rollup_metrics() -> dict[str, int]:
    return rollups.run(timezone.now(), settings.METRICS_ROLLUP_HOURS)


@shared_task(ignore_result=True)
def ensure_metric_partitions() -> list[str]:
    days_back = settings.RETENTION_METRIC_SAMPLES_DAYS + 1
    return partitions.ensure_partitions(timezone.now().date(), days_back, settings.METRICS_PARTITIONS_AHEAD_DAYS)


@shared_task(ignore_result=True)
def purge_metrics() -> dict[str, int]:
    return retention.purge(dry_run=False)
