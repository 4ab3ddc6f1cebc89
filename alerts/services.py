"""Workflows that change alerts on behalf of a person."""

from django.utils import timezone

from alerts.models import Alert


def acknowledge(alert: Alert, user) -> bool:
    """Acknowledge an open alert once (conditional update); return whether this call did it."""
    return bool(
        Alert.objects.open()
        .filter(pk=alert.pk, acknowledged_at__isnull=True)
        .update(acknowledged_at=timezone.now(), acknowledged_by=user)
    )
