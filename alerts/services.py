"""Workflows that change alerts on behalf of a person."""

from django.utils import timezone

from alerts.models import Alert


def acknowledge(alert: Alert, user) -> bool:
    """Acknowledge an open alert once (conditional update); return whether this call did it.

    `user` is a person (stored as the user and their username) or an API key's ServiceUser
    (no row to point at: its label `key:<name>` is stored), or None.
    """
    person = user if getattr(user, "pk", None) else None
    label = user.get_username() if user is not None else ""
    return bool(
        Alert.objects.open()
        .filter(pk=alert.pk, acknowledged_at__isnull=True)
        .update(acknowledged_at=timezone.now(), acknowledged_by=person, acknowledged_by_label=label[:160])
    )
