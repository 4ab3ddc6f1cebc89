"""Targets vs current: values computed from inserted rows, pass/fail, editable by Admins only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.models import RenderTiming, Target
from monitoring_site.models import HealthSample


def targets_by_name(client, **params) -> dict[str, list]:
    sections = client.get(reverse("admin:dashboard-data", kwargs={"tab": "overview"}), params).json()["sections"]
    (table,) = next(s for s in sections if s["key"] == "targets")["tables"]
    return {row[0]: row for row in table["rows"]}


def insert_health(healthy: int, unhealthy: int) -> None:
    now = timezone.now()
    statuses = ["healthy"] * healthy + ["degraded"] * unhealthy
    HealthSample.objects.bulk_create(
        HealthSample(
            checked_at=now - timedelta(minutes=i + 1), status=s, database_ok=True, cache_ok=True, broker_ok=True
        )
        for i, s in enumerate(statuses)
    )


@pytest.mark.django_db
def test_it_shows_uptime_from_the_recorded_health_checks(client_for, alice):
    insert_health(healthy=997, unhealthy=3)  # 99.7 %, below the 99.9 % target
    row = targets_by_name(client_for(alice), range="24h")["Uptime"]
    assert row[2] == "99.700 %"
    assert row[3] == {"text": "fail", "badge": "fail"}


@pytest.mark.django_db
def test_it_judges_dashboard_load_by_the_p95_of_recorded_renders(client_for, alice):
    RenderTiming.objects.bulk_create(RenderTiming(page="ai", duration_ms=ms) for ms in range(10, 1010, 10))
    row = targets_by_name(client_for(alice), range="1h")["Dashboard load (p95 server render)"]
    # percentile_cont over 10..1000 step 10: rank 0.95 * 99 = 94.05 -> 950 + 0.05 * 10
    assert row[2] == "950.5 ms"
    assert row[3]["text"] == "pass"


@pytest.mark.django_db
def test_it_applies_an_edited_target(client_for, alice):
    insert_health(healthy=995, unhealthy=5)
    client = client_for(alice)
    target = Target.objects.get(key=Target.Key.UPTIME)
    url = reverse("admin:dashboard_target_change", args=[target.pk])
    response = client.post(url, {"comparison": "gte", "threshold": "99.0", "position": target.position})
    assert response.status_code == 302
    assert targets_by_name(client, range="24h")["Uptime"][1:4:2] == [">= 99.000 %", {"text": "pass", "badge": "pass"}]


@pytest.mark.django_db
def test_it_keeps_targets_away_from_moderators(client_for, mo):
    target = Target.objects.get(key=Target.Key.MTTR)
    client = client_for(mo)
    assert client.get(reverse("admin:dashboard_target_change", args=[target.pk])).status_code == 403
    assert (
        client.post(
            reverse("admin:dashboard_target_change", args=[target.pk]), {"comparison": "lt", "threshold": "60"}
        ).status_code
        == 403
    )
    assert Target.objects.get(pk=target.pk).threshold == 5


@pytest.mark.django_db
def test_mtta_and_mttr_in_the_targets_table_come_from_incidents(client_for, alice):
    from incidents.models import Incident

    now = timezone.now()
    Incident.objects.create(
        title="db down",
        created_at=now - timedelta(minutes=30),
        acknowledged_at=now - timedelta(minutes=27),
        resolved_at=now - timedelta(minutes=10),
        status="resolved",
    )
    rows = targets_by_name(client_for(alice), range="24h")
    assert rows["MTTA, incidents"][2:] == ["3 min", {"text": "pass", "badge": "pass"}]
    assert rows["MTTR, incidents"][2:] == ["20 min", {"text": "fail", "badge": "fail"}]
