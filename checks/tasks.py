"""Thin Celery tasks: the late-check sweep (every minute), monitor dispatch and runs, retention."""

from celery import shared_task


@shared_task(name="checks.tasks.sweep_late_checks", ignore_result=True)
def sweep_late_checks() -> int:
    from checks import services

    return services.sweep_late()


@shared_task(name="checks.tasks.dispatch_monitors", ignore_result=True)
def dispatch_monitors() -> int:
    """Queue a run for every monitor that is due; each run expires before the next dispatch."""
    from checks import monitors

    ids = monitors.claim_due()
    for pk in ids:
        run_monitor.apply_async((pk,), expires=60)
    return len(ids)


@shared_task(name="checks.tasks.run_monitor", ignore_result=True)
def run_monitor(monitor_id: int) -> None:
    from checks import monitors

    monitors.run(monitor_id)


@shared_task(name="checks.tasks.purge_pings_and_results", ignore_result=True)
def purge_pings_and_results() -> dict[str, int]:
    from checks import retention

    return retention.purge(dry_run=False)
