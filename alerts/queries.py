"""Read functions for the dashboard and reports (times are aware datetimes)."""

from datetime import datetime, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q

from alerts.models import Alert, AlertTransition, NotificationDelivery, Severity


def firing_now() -> list[dict]:
    """Alerts firing now, critical first: id, rule_name, severity, value, threshold, message, fired_at, acknowledged."""
    alerts = Alert.objects.filter(state=Alert.State.FIRING).select_related("rule")
    rows = [
        {
            "id": a.pk,
            "rule_name": a.rule.name,
            "severity": a.severity,
            "value": a.value,
            "threshold": a.threshold,
            "message": a.message,
            "fired_at": a.fired_at,
            "acknowledged": a.acknowledged_at is not None,
        }
        for a in alerts
    ]
    rank = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(rows, key=lambda r: (rank.get(r["severity"], 3), r["fired_at"] or datetime.max))


def firing_counts() -> dict[str, int]:
    counts = dict(Alert.objects.filter(state=Alert.State.FIRING).values_list("severity").annotate(n=Count("id")))
    return {s: counts.get(s, 0) for s in Severity.values}


def transitions_timeline(since: datetime, until: datetime, limit: int = 200) -> list[dict]:
    """Newest first: at, rule_name, alert_id, from_state, to_state, reason, severity, value, threshold, silenced."""
    rows = (
        AlertTransition.objects.filter(at__gte=since, at__lt=until)
        .order_by("-at", "-id")
        .values(
            "at",
            "alert_id",
            "from_state",
            "to_state",
            "reason",
            "severity",
            "value",
            "threshold",
            "silenced",
            rule_name=F("alert__rule__name"),
        )
    )
    return list(rows[:limit])


def notifications_per_channel(since: datetime, until: datetime) -> list[dict]:
    """Per channel: channel, kind, sent, failed, pending."""
    counts = (
        NotificationDelivery.objects.filter(created_at__gte=since, created_at__lt=until)
        .values("channel_id", channel=F("channel__name"), kind=F("channel__kind"))
        .annotate(
            sent=Count("id", filter=Q(status="sent")),
            failed=Count("id", filter=Q(status="failed")),
            pending=Count("id", filter=Q(status="pending")),
        )
        .order_by("channel")
    )
    return list(counts)


def fired_resolved(since: datetime, until: datetime) -> dict[str, int]:
    return {
        "fired": Alert.objects.filter(fired_at__gte=since, fired_at__lt=until).count(),
        "resolved": Alert.objects.filter(fired_at__isnull=False, resolved_at__gte=since, resolved_at__lt=until).count(),
    }


def mttr(since: datetime, until: datetime, severity: str | None = Severity.CRITICAL) -> timedelta | None:
    """Mean time from firing to resolved of alerts resolved in the window (critical by default)."""
    resolved = Alert.objects.filter(fired_at__isnull=False, resolved_at__gte=since, resolved_at__lt=until)
    if severity:
        resolved = resolved.filter(severity=severity)
    took = ExpressionWrapper(F("resolved_at") - F("fired_at"), output_field=DurationField())
    return resolved.annotate(took=took).aggregate(mean=Avg("took"))["mean"]
