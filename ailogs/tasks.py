from celery import shared_task

from ailogs import retention, rollup


@shared_task(ignore_result=True)
def rollup_recent() -> dict:
    return rollup.run()


@shared_task(ignore_result=True)
def purge_expired_calls() -> dict[str, int]:
    return retention.purge(dry_run=False)
