"""Workflows on incidents: an alert opening or joining one, updates with status changes."""

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import Incident, IncidentAlert, IncidentUpdate

log = logging.getLogger(__name__)


def attach_alert(alert_id: int, severity: str, now: datetime | None = None) -> Incident | None:
    """Attach a firing alert to the open incident; a critical one opens an incident when none is open.

    Idempotent: an alert is in at most one incident (unique), so a repeated call changes nothing.
    Two alerts firing at once in two workers open one incident: the database allows one open
    incident opened by alerts, so the second insert fails and that alert attaches on the retry.
    """
    now = now or timezone.now()
    for _ in range(2):
        if IncidentAlert.objects.filter(alert_id=alert_id).exists():
            return None
        try:
            with transaction.atomic():
                incident = _open_incident(alert_id, severity, now)
                if incident is not None:
                    IncidentAlert.objects.create(incident=incident, alert_id=alert_id, attached_at=now)
                return incident
        except IntegrityError:  # another worker attached this alert, or opened the incident, first
            log.info("alert %s raced another worker for its incident; retrying", alert_id)
    log.warning("alert %s could not be attached to an incident", alert_id)
    return None


def _open_incident(alert_id: int, severity: str, now: datetime) -> Incident | None:
    """The newest open incident, locked; a new one for a critical alert when none is open."""
    from alerts.models import Alert

    incident = Incident.objects.select_for_update().exclude(status=Incident.Status.RESOLVED).order_by("-created_at")
    incident = incident.first()
    if incident is not None or severity != "critical":
        return incident
    alert = Alert.objects.select_related("rule").get(pk=alert_id)
    return Incident.objects.create(
        title=alert.message[:200] or alert.rule.name,
        severity=Incident.Severity.P1,
        opened_by_alert=True,
        created_at=now,
    )


def add_update(incident: Incident, user, body: str, public: bool, status: str = "") -> IncidentUpdate:
    """Post a comment (public or internal), optionally moving the incident to a new status."""
    now = timezone.now()
    if status and status != incident.status:
        incident.validate_status(status)  # ValidationError: the caller shows it
    try:
        return _add_update(incident, user, body, public, status, now)
    except IntegrityError as exc:  # reopened while an alert opened another incident just now
        incident.refresh_from_db()
        raise ValidationError({"status": "Another incident opened by an alert is open: resolve it first."}) from exc


def _add_update(incident: Incident, user, body: str, public: bool, status: str, now: datetime) -> IncidentUpdate:
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
