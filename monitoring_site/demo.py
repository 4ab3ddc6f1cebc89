"""seed_demo for the project's own tables: per-minute health (the Uptime target) and exports."""

import random
from datetime import timedelta

from django.utils import timezone

from monitoring_site.models import AuditEvent, HealthSample

HEALTH_STEP = timedelta(minutes=5)  # beat samples every minute; every fifth is plenty for a demo


def seed(days: int, events: int, stdout) -> None:
    rng = random.Random(7)
    now = timezone.now()
    start = now - timedelta(days=days)
    samples = []
    at = start
    while at < now:
        # A short degraded spell (the queue backlog 6 h ago), otherwise healthy.
        degraded = timedelta(hours=6) < now - at < timedelta(hours=6, minutes=20)
        status = "degraded" if degraded else "healthy"
        samples.append(
            HealthSample(checked_at=at, status=status, database_ok=True, cache_ok=True, broker_ok=not degraded)
        )
        at += HEALTH_STEP
    HealthSample.objects.bulk_create(samples, batch_size=1000)
    exports = []
    for day in range(days):
        for _ in range(rng.randint(0, 3)):
            exports.append(
                AuditEvent(
                    kind=AuditEvent.Kind.EXPORT,
                    actor_label="admin",
                    created_at=now - timedelta(days=day, hours=rng.uniform(0, 10)),
                    detail={"what": rng.choice(["ai calls", "metrics.requestminute"]), "demo": True},
                )
            )
    AuditEvent.objects.bulk_create(exports)
    stdout.write(f"  monitoring_site: {len(samples)} health samples, {len(exports)} exports")
