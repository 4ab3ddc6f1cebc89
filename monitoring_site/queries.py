"""Read functions over the platform's own tables, for alert evaluators and the dashboard."""

from django.db.models import Count

from monitoring_site.models import AuditEvent, HealthSample


def failed_logins(since, until) -> int:
    return AuditEvent.objects.filter(
        kind=AuditEvent.Kind.LOGIN_FAILED, created_at__gte=since, created_at__lt=until
    ).count()


def audit_events(since, until, kind: str | None = None) -> int:
    events = AuditEvent.objects.filter(created_at__gte=since, created_at__lt=until)
    if kind:
        events = events.filter(kind=kind)
    return events.count()


def uptime_percent(since, until) -> float | None:
    """Share of per-minute health samples that were up (healthy or limited), or None without samples."""
    samples = HealthSample.objects.filter(checked_at__gte=since, checked_at__lt=until)
    total = samples.count()
    if not total:
        return None
    return round(samples.exclude(status="degraded").count() / total * 100, 3)


def health_samples(since, until, status: str) -> tuple[int, int]:
    """(samples with this status, all samples) of the per-minute health samples in [since, until)."""
    counts = dict(
        HealthSample.objects.filter(checked_at__gte=since, checked_at__lt=until)
        .values_list("status")
        .annotate(n=Count("id"))
    )
    return counts.get(status, 0), sum(counts.values())
