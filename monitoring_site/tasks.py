from celery import shared_task

from monitoring_site import health, retention
from monitoring_site.models import HealthSample, Heartbeat


@shared_task(ignore_result=True)
def heartbeat() -> str:
    """Prove beat and a worker are alive, and record one health sample for the uptime figure."""
    Heartbeat.beat("scheduler")
    database = health.check_database()
    cache = health.check_cache()
    broker = health.check_broker()
    ok = [s["status"] == "connected" for s in (database, cache, broker)]
    status = "degraded"
    if all(ok):  # the same words as /api/health, so the health_* alerts read what the endpoint says
        status = "limited" if health.limitations(health.check_scheduler()) else "healthy"
    HealthSample.objects.create(status=status, database_ok=ok[0], cache_ok=ok[1], broker_ok=ok[2])
    return "ok"


@shared_task(ignore_result=True)
def purge_audit_events() -> dict[str, int]:
    return retention.purge(dry_run=False)
