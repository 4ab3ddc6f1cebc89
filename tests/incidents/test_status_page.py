"""The public status page: no login, cacheable, no JavaScript, nothing internal."""

import pytest

from tests.incidents.conftest import INTERNAL

pytestmark = pytest.mark.django_db


def test_it_shows_components_uptime_bars_and_public_updates_without_login(client, story):
    response = client.get("/status-page/acme/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Backups" in html and "Public API" in html and "Delayed backups" in html
    assert "We are restoring the backup job." in html
    assert html.count('class="bar ') == 2 * 90
    assert "<script" not in html.lower()
    assert response["Cache-Control"].startswith("public, max-age=")


def test_it_never_shows_anything_internal(client, story):
    for path in ("/status-page/acme/", "/status-page/acme.json"):
        text = client.get(path).content.decode()
        leaked = [word for word in INTERNAL if word in text]
        assert leaked == [], f"{path} shows {leaked}"


def test_the_json_matches_the_page(client, story):
    body = client.get("/status-page/acme.json").json()
    assert body["status"] == "outage"  # the backup check is down
    assert [(c["name"], c["status"]) for c in body["components"]] == [("Backups", "down"), ("Public API", "unknown")]
    assert len(body["components"][0]["days"]) == 90
    assert body["incidents"][0]["title"] == "Delayed backups"
    assert [u["body"] for u in body["incidents"][0]["updates"]] == ["We are restoring the backup job."]


def test_an_internal_incident_is_not_listed(client, story):
    story["incident"].public = False
    story["incident"].save()
    body = client.get("/status-page/acme.json").json()
    assert body["incidents"] == []


def test_an_unknown_page_is_a_404(client, db):
    assert client.get("/status-page/nope/").status_code == 404
    assert client.get("/status-page/nope.json").json() == {"detail": "No status page has this address."}


def test_daily_uptime_counts_the_time_spent_down(db):
    from datetime import UTC, datetime, timedelta

    from checks.models import Check
    from checks.queries import daily_uptime
    from checks.services import create_flip

    day = datetime(2026, 3, 2, tzinfo=UTC)
    check = Check.objects.create(name="c", period_seconds=3600)
    Check.objects.filter(pk=check.pk).update(created_at=day - timedelta(days=5))
    check.refresh_from_db()
    create_flip(check, "new", "up", "ping", day - timedelta(days=2))
    create_flip(check, "up", "down", "late", day + timedelta(hours=6))
    create_flip(check, "down", "up", "ping", day + timedelta(hours=12))
    days = dict(daily_uptime(check, 4, now=day + timedelta(days=1, hours=12)))
    assert days[day.date()] == 75.0
    assert days[(day + timedelta(days=1)).date()] == 100.0
