from celery import shared_task
from django.utils import timezone

from ailogs import partitions, retention, rollup


@shared_task(ignore_result=True)
def rollup_recent() -> dict:
    return rollup.run()


@shared_task(ignore_result=True)
def ensure_ailogs_partitions() -> dict[str, list[str]]:
    return partitions.ensure(timezone.now().date())


@shared_task(ignore_result=True)
def purge_expired_calls() -> dict[str, int]:
    return retention.purge(dry_run=False)
