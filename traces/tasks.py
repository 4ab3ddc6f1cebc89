from celery import shared_task
from django.conf import settings
from django.utils import timezone

from traces import retention
from traces.partitions import spans


@shared_task(ignore_result=True)
def ensure_span_partitions() -> list[str]:
    return spans.ensure(timezone.now().date(), settings.SPANS_RETENTION_DAYS + 1, settings.TRACES_PARTITIONS_AHEAD_DAYS)


@shared_task(ignore_result=True)
def purge_spans() -> dict[str, int]:
    return retention.purge(dry_run=False)
