from datetime import timedelta

import pytest
from django.utils import timezone

from checks.models import Check, Monitor
from incidents.models import Incident, IncidentUpdate, StatusPage, StatusPageComponent
from tests.checks.conftest import ping


@pytest.fixture
def story(db, alice):
    """A public incident with a public and an internal update, on a page listing a check and a monitor."""
    now = timezone.now()
    check = Check.objects.create(name="internal-db-backup-cron", period_seconds=3600, grace_seconds=600)
    ping(check, at=now - timedelta(hours=3))
    from checks.services import sweep_late

    sweep_late(now - timedelta(minutes=90))
    monitor = Monitor.objects.create(name="api-gw-prod-eu1", url="https://secret-host.internal.example.com/health")
    page = StatusPage.objects.create(slug="acme", title="Acme status")
    StatusPageComponent.objects.create(page=page, public_name="Backups", check_item=check, position=1)
    StatusPageComponent.objects.create(page=page, public_name="Public API", monitor=monitor, position=2)
    incident = Incident.objects.create(
        title="db-primary-07 disk full (internal)",
        public=True,
        public_title="Delayed backups",
        severity="P1",
        owner=alice,
        created_at=now - timedelta(hours=1),
    )
    IncidentUpdate.objects.create(incident=incident, body="We are restoring the backup job.", public=True)
    IncidentUpdate.objects.create(incident=incident, body="ssh root@10.1.2.3 and rm the WAL", public=False)
    return {"check": check, "monitor": monitor, "page": page, "incident": incident}


INTERNAL = [
    "internal-db-backup-cron",
    "api-gw-prod-eu1",
    "secret-host",
    "db-primary-07",
    "10.1.2.3",
    "https://",
    "alice",
    "P1",
]
