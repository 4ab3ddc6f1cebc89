"""Read functions over the platform's own tables, for alert evaluators and the dashboard."""

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
    """Share of per-minute health samples that were healthy, or None without samples."""
    samples = HealthSample.objects.filter(checked_at__gte=since, checked_at__lt=until)
    total = samples.count()
    if not total:
        return None
    return round(samples.filter(status="healthy").count() / total * 100, 3)
