"""Workflows on incidents: an alert opening or joining one, updates with status changes."""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import Incident, IncidentAlert, IncidentUpdate

log = logging.getLogger(__name__)


def attach_alert(alert_id: int, severity: str, now: datetime | None = None) -> Incident | None:
    """Attach a firing alert to the open incident; a critical one opens an incident when none is open.

    Idempotent: an alert is in at most one incident (unique), so a repeated call changes nothing.
    """
    from alerts.models import Alert

    now = now or timezone.now()
    if IncidentAlert.objects.filter(alert_id=alert_id).exists():
        return None
    try:
        with transaction.atomic():
            incident = (
                Incident.objects.select_for_update()
                .exclude(status=Incident.Status.RESOLVED)
                .order_by("-created_at")
                .first()
            )
            if incident is None:
                if severity != "critical":
                    return None
                alert = Alert.objects.select_related("rule").get(pk=alert_id)
                incident = Incident.objects.create(
                    title=alert.message[:200] or alert.rule.name,
                    severity=Incident.Severity.P1,
                    opened_by_alert=True,
                    created_at=now,
                )
            IncidentAlert.objects.create(incident=incident, alert_id=alert_id, attached_at=now)
    except IntegrityError:  # another worker attached it first
        log.info("alert %s was attached concurrently", alert_id)
        return None
    return incident


def add_update(incident: Incident, user, body: str, public: bool, status: str = "") -> IncidentUpdate:
    """Post a comment (public or internal), optionally moving the incident to a new status."""
    now = timezone.now()
    with transaction.atomic():
        if status and status != incident.status:
            incident.set_status(status, now)
            incident.save(update_fields=["status", "mitigated_at", "resolved_at"])
        return IncidentUpdate.objects.create(
            incident=incident,
            author=user if getattr(user, "pk", None) else None,
            author_label=user.get_username() if user is not None else "",
            body=body,
            public=public,
            status=status,
            created_at=now,
        )


def acknowledge(incident: Incident, user) -> bool:
    """Take the incident: the first acknowledgement is what MTTA measures."""
    changed = Incident.objects.filter(pk=incident.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now()
    )
    if incident.owner_id is None and getattr(user, "pk", None):
        Incident.objects.filter(pk=incident.pk, owner__isnull=True).update(owner=user)
    return bool(changed)
