"""Read functions: an incident's timeline, MTTA/MTTR for the dashboard, deploy markers."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Min
from django.utils import timezone

from incidents.models import Event, Incident

# Flips and deploys shortly before an incident belong to its story (what changed, what broke first).
LOOKBACK = timedelta(hours=1)


@dataclass
class Entry:
    at: datetime
    kind: str  # opened | alert | notification | ack | flip | event | update | status
    text: str
    detail: str = ""
    public: bool = False


def timeline(incident: Incident, now: datetime | None = None) -> list[Entry]:
    """Everything that happened around the incident, oldest first."""
    now = now or timezone.now()
    since, until = incident.created_at - LOOKBACK, (incident.resolved_at or now) + timedelta(seconds=1)
    entries = [Entry(incident.created_at, "opened", _opened_text(incident))]
    entries += _alert_entries(incident)
    entries += _flip_entries(since, until)
    entries += [
        Entry(e.timestamp, "event", f"{e.kind}: {e.title}", " ".join(filter(None, [e.version, e.url, e.tenant])))
        for e in Event.objects.filter(timestamp__gte=since, timestamp__lt=until)
    ]
    for u in incident.updates.all():
        label = f"{'Public' if u.public else 'Internal'} update by {u.author_label or 'someone'}"
        entries.append(
            Entry(u.created_at, "update", label + (f" (status: {u.status})" if u.status else ""), u.body, u.public)
        )
    if incident.acknowledged_at:
        entries.append(Entry(incident.acknowledged_at, "ack", "Incident acknowledged"))
    return sorted(entries, key=lambda e: e.at)


def _opened_text(incident: Incident) -> str:
    how = "automatically by a critical alert" if incident.opened_by_alert else "by hand"
    return f"Incident opened {how} ({incident.severity})"


def _alert_entries(incident: Incident) -> list[Entry]:
    from alerts.models import AlertTransition, NotificationDelivery

    alerts = list(incident.alerts.select_related("rule"))
    entries = []
    for t in AlertTransition.objects.filter(alert__in=alerts).select_related("alert__rule"):
        group = f" [{t.alert.group_key}]" if getattr(t.alert, "group_key", "") else ""
        text = f"Alert {t.alert.rule.name}{group}: {t.from_state} → {t.to_state} ({t.reason}, {t.severity})"
        entries.append(Entry(t.at, "alert", text, "silenced" if t.silenced else ""))
    for d in NotificationDelivery.objects.filter(alert__in=alerts).select_related("channel"):
        outcome = d.status + (f" after {d.attempts} attempt(s)" if d.attempts else "")
        detail = d.error[:200] if d.error else ""
        entries.append(
            Entry(
                d.sent_at or d.created_at,
                "notification",
                f"Notification ({d.event}) to {d.channel.name}: {outcome}",
                detail,
            )
        )
    for a in alerts:
        if a.acknowledged_at:
            entries.append(Entry(a.acknowledged_at, "ack", f"Alert {a.rule.name} acknowledged by {a.acknowledger}"))
    return entries


def _flip_entries(since: datetime, until: datetime) -> list[Entry]:
    try:
        from checks import queries as checks
    except ModuleNotFoundError:
        return []
    entries = []
    for flip in checks.flips(since, until):
        what = f"Check {flip.owner_check.name}" if flip.owner_check_id else f"Monitor {flip.owner_monitor.name}"
        entries.append(Entry(flip.created_at, "flip", f"{what}: {flip.old_status} → {flip.new_status}", flip.reason))
    return entries


def first_acknowledged(incident: Incident) -> datetime | None:
    """The incident's own acknowledgement or its first attached alert's, whichever came first."""
    alert_ack = incident.alerts.aggregate(first=Min("acknowledged_at"))["first"]
    times = [t for t in (incident.acknowledged_at, alert_ack) if t]
    return min(times) if times else None


def mttr_minutes(since: datetime, until: datetime) -> float | None:
    """Mean minutes from opened to resolved of incidents resolved in [since, until)."""
    rows = Incident.objects.filter(resolved_at__gte=since, resolved_at__lt=until).values_list(
        "created_at", "resolved_at"
    )
    minutes = [(r - c).total_seconds() / 60 for c, r in rows]
    return round(sum(minutes) / len(minutes), 2) if minutes else None


def mtta_minutes(since: datetime, until: datetime) -> float | None:
    """Mean minutes from opened to first acknowledged, of incidents opened in [since, until)."""
    minutes = []
    for incident in Incident.objects.filter(created_at__gte=since, created_at__lt=until).prefetch_related("alerts"):
        acked = first_acknowledged(incident)
        if acked:
            minutes.append(max(0.0, (acked - incident.created_at).total_seconds() / 60))
    return round(sum(minutes) / len(minutes), 2) if minutes else None


def events(since: datetime, until: datetime, limit: int = 200, tenant: str = "") -> list[dict]:
    """Deploy/config/note markers for charts: timestamp, kind, title, version; the newest `limit`,
    oldest first. With a tenant: that tenant's events and those for every tenant (no tenant set).
    """
    rows = Event.objects.filter(timestamp__gte=since, timestamp__lt=until)
    if tenant:
        rows = rows.filter(tenant__in=["", tenant])
    newest = rows.order_by("-timestamp", "-id").values("timestamp", "kind", "title", "version")[:limit]
    return list(reversed(newest))
