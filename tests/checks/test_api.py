"""/api/v1/checks/ (SPEC section 10): a deploy script creates its check and reads its state."""

import pytest

from checks.models import Check

pytestmark = pytest.mark.django_db


def test_it_creates_a_period_check_and_answers_with_its_ping_url(api_client, settings):
    settings.SITE_URL = "https://mon.example.com"
    response = api_client("checks:write").post(
        "/api/v1/checks/", {"name": "Nightly backup", "period_seconds": 86400, "grace_seconds": 3600}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    check = Check.objects.get()
    assert body["id"] == check.pk and body["status"] == "new"
    assert body["ping_url"] == f"https://mon.example.com/ping/{check.code}"


def test_it_creates_a_cron_check(api_client):
    response = api_client("checks:write").post(
        "/api/v1/checks/",
        {"name": "Weekly restore test", "schedule": "0 4 * * 0", "tz": "Europe/Berlin", "tags": "backup  prod"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    check = Check.objects.get()
    assert (check.schedule, check.tz, check.tags) == ("0 4 * * 0", "Europe/Berlin", "backup prod")


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"name": "x"}, "period_seconds", "schedule"),
        ({"name": "x", "schedule": "61 * * * *"}, "schedule", "cron"),
        ({"name": "x", "schedule": "0 4 * * *", "tz": "Mars/Olympus"}, "tz", "time zone"),
        ({"name": "x", "period_seconds": 10}, "period_seconds", "60"),
        ({"name": "x", "period_seconds": 3600, "failures_before_down": 0}, "failures_before_down", "1"),
        ({"name": "x", "period_seconds": 3600, "failure_rate_percent": 150}, "failure_rate_percent", "99.99"),
        ({"name": "x", "schedule": "0 4 * * *", "period_seconds": 60}, "schedule", "either"),
        ({"period_seconds": 3600}, "name", "required"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, body, field, words):
    response = api_client("checks:write").post("/api/v1/checks/", body, format="json")
    assert response.status_code == 400
    assert words in " ".join(response.json()[field])
    assert not Check.objects.exists()


def test_it_lists_and_reads_checks_with_status_last_ping_and_next_due(api_client, client, make_check):
    check = make_check(name="Cron job", period_seconds=3600)
    client.get(f"/ping/{check.code}")
    reader = api_client("checks:read")
    listed = reader.get("/api/v1/checks/").json()
    assert [c["name"] for c in listed] == ["Cron job"]
    one = reader.get(f"/api/v1/checks/{check.pk}/").json()
    assert one["status"] == "up" and one["last_ping"] and one["next_due"]


def test_scopes_are_enforced(api_client, make_check):
    check = make_check()
    assert api_client("checks:read").post("/api/v1/checks/", {"name": "x", "period_seconds": 3600}).status_code == 403
    assert api_client("checks:read").delete(f"/api/v1/checks/{check.pk}/").status_code == 403
    assert api_client("alerts:read").get("/api/v1/checks/").status_code == 403
    assert api_client("checks:write").delete(f"/api/v1/checks/{check.pk}/").status_code == 204


def test_charlie_gets_403_and_alice_may_use_the_session(client_for, charlie, alice, make_check):
    make_check()
    assert client_for(charlie).get("/api/v1/checks/").status_code == 403
    assert client_for(alice).get("/api/v1/checks/").status_code == 200


def test_switching_to_a_period_clears_the_cron_schedule(api_client, make_check):
    check = make_check(schedule="0 4 * * *", tz="UTC")
    response = api_client("checks:write").patch(f"/api/v1/checks/{check.pk}/", {"period_seconds": 600}, format="json")
    assert response.status_code == 200
    check.refresh_from_db()
    assert check.schedule == "" and check.period_seconds == 600
