"""Incidents: the timeline in time order, updates and roles, deploy events, MTTA and MTTR."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import queries
from incidents.models import Event, Incident

pytestmark = pytest.mark.django_db


def test_the_timeline_holds_flips_events_and_updates_in_time_order(story, api_client):
    incident = story["incident"]
    api_client("events:write").post(
        "/api/v1/events/", {"kind": "deploy", "title": "api v2.3.1", "version": "2.3.1"}, format="json"
    )
    entries = queries.timeline(incident)
    kinds = [e.kind for e in entries]
    assert {"opened", "flip", "event", "update"} <= set(kinds)
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    assert any("Check internal-db-backup-cron: up → down" in e.text for e in entries)


def test_moderators_post_public_updates_and_resolve(client_for, mo, story):
    incident = story["incident"]
    response = client_for(mo).post(
        f"/incidents/{incident.pk}/", {"body": "Fixed: backups run again.", "public": "on", "status": "resolved"}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "resolved" and incident.resolved_at is not None
    assert incident.updates.filter(public=True, author_label="mo").exists()


def test_charlie_gets_403_on_the_incident_page(client_for, charlie, story):
    assert client_for(charlie).get(f"/incidents/{story['incident'].pk}/").status_code == 403


def test_mtta_and_mttr_come_from_incidents(db):
    now = timezone.now()
    Incident.objects.create(
        title="a",
        created_at=now - timedelta(minutes=60),
        acknowledged_at=now - timedelta(minutes=55),
        resolved_at=now - timedelta(minutes=30),
        status="resolved",
    )
    Incident.objects.create(
        title="b",
        created_at=now - timedelta(minutes=40),
        acknowledged_at=now - timedelta(minutes=25),
        resolved_at=now - timedelta(minutes=10),
        status="resolved",
    )
    since, until = now - timedelta(hours=2), now
    assert queries.mtta_minutes(since, until) == 10.0
    assert queries.mttr_minutes(since, until) == 30.0


def test_events_api_stores_a_deploy_marker(api_client):
    response = api_client("events:write").post(
        "/api/v1/events/",
        {"kind": "deploy", "title": "web 1.4.0", "version": "1.4.0", "url": "https://ci.example.com/run/9"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    event = Event.objects.get()
    assert (event.kind, event.version, event.created_by_label) == ("deploy", "1.4.0", "key:test-events:write")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "release", "title": "x"}, "kind"),
        ({"kind": "deploy"}, "title"),
        ({"kind": "deploy", "title": "x", "url": "javascript:alert(1)"}, "url"),
        ({"kind": "deploy", "title": "x", "timestamp": "yesterday"}, "timestamp"),
        ({"kind": "deploy", "title": "x", "timestamp": "2999-01-01T00:00:00Z"}, "timestamp"),
    ],
)
def test_events_bad_input_is_a_400_naming_the_field(api_client, body, field):
    response = api_client("events:write").post("/api/v1/events/", body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_events_need_the_events_write_scope(api_client):
    response = api_client("checks:write").post("/api/v1/events/", {"kind": "note", "title": "x"}, format="json")
    assert response.status_code == 403
