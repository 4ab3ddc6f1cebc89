"""Admin pages: Admins manage checks, monitors and status pages; Moderators run incidents only."""

import pytest
from django.urls import reverse

from checks.models import Check, Monitor
from incidents.models import Incident, StatusPage
from tests.checks.conftest import ping

pytestmark = pytest.mark.django_db


@pytest.fixture
def things(settings):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORKS = True
    check = ping(Check.objects.create(name="Nightly backup", period_seconds=3600))
    monitor = Monitor.objects.create(name="API", url="https://api.example.com/health")
    return {
        "checks_check": check,
        "checks_monitor": monitor,
        "incidents_incident": Incident.objects.create(title="outage"),
        "incidents_statuspage": StatusPage.objects.create(slug="acme", title="Acme"),
    }


def pages(things):
    for name, obj in things.items():
        yield name, reverse(f"admin:{name}_changelist")
        yield name, reverse(f"admin:{name}_change", args=[obj.pk])


def test_alice_sees_every_page_with_the_ping_urls(client_for, alice, things):
    client = client_for(alice)
    for _, url in pages(things):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("admin:checks_check_change", args=[things["checks_check"].pk])).content.decode()
    assert f"/ping/{things['checks_check'].code}/start" in page
    assert "success ping" in page  # the flip inline


def test_mo_runs_incidents_but_gets_403_on_checks_monitors_and_pages(client_for, mo, things):
    client = client_for(mo)
    for name, url in pages(things):
        expected = 200 if name == "incidents_incident" else 403
        assert client.get(url).status_code == expected, url


def test_alice_pauses_a_check_from_the_list(client_for, alice, things):
    check = things["checks_check"]
    response = client_for(alice).post(
        reverse("admin:checks_check_changelist"), {"action": "pause", "_selected_action": [check.pk]}
    )
    assert response.status_code == 302
    check.refresh_from_db()
    assert check.status == "paused" and check.flips.filter(reason="paused by hand").exists()


def test_a_monitor_on_a_private_address_is_refused_in_the_admin_form(client_for, alice, settings):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORKS = False
    response = client_for(alice).post(
        reverse("admin:checks_monitor_add"),
        {
            "name": "internal",
            "url": "https://192.168.1.10/",
            "method": "GET",
            "expected_status": 200,
            "interval_seconds": 60,
            "timeout_seconds": 10,
            "tls_warn_days": 14,
            "failures_before_down": 2,
            "flips-TOTAL_FORMS": 0,
            "flips-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200 and "not allowed" in response.content.decode()
    assert not Monitor.objects.exists()
