"""health_degraded / health_limited read the per-minute health samples; process starts are counted."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import defaults, engine
from alerts.models import Alert, AlertRule
from monitoring_site.models import HealthSample

pytestmark = pytest.mark.django_db


def samples(*statuses: str) -> None:
    now = timezone.now()
    HealthSample.objects.bulk_create(
        HealthSample(
            checked_at=now - timedelta(seconds=30 + 60 * i),
            status=s,
            database_ok=s != "degraded",
            cache_ok=True,
            broker_ok=True,
        )
        for i, s in enumerate(statuses)
    )


@pytest.fixture
def rules():
    defaults.install(type("Quiet", (), {"write": lambda *a: None})())
    return {r.default_key: r for r in AlertRule.objects.filter(default_key__startswith="health_")}


def test_a_degraded_sample_fires_the_critical_rule(rules):
    samples("degraded", "healthy")
    engine.evaluate_rule(rules["health_degraded"])
    assert Alert.objects.get(rule=rules["health_degraded"]).severity == "critical"


def test_limited_samples_fire_the_warning_rule_and_healthy_ones_nothing(rules):
    samples("limited", "limited", "healthy")
    for rule in rules.values():
        engine.evaluate_rule(rule)
    assert list(Alert.objects.values_list("rule__default_key", "severity")) == [("health_limited", "warning")]


def test_the_heartbeat_records_limited_when_no_channel_is_configured(db):
    from monitoring_site.tasks import heartbeat

    heartbeat()
    assert HealthSample.objects.get().status == "limited"  # no notification channel in this test


def test_a_process_start_is_counted_and_the_restart_rule_reads_it(db):
    from checks.recording import record_process_start
    from metrics.queries import aggregate

    for _ in range(6):
        record_process_start("worker")
    now = timezone.now()
    assert aggregate("process_starts", now - timedelta(minutes=1), now + timedelta(minutes=1), "sum") == (6.0, 6)
    defaults.install(type("Quiet", (), {"write": lambda *a: None})())
    rule = AlertRule.objects.get(default_key="process_restarts")
    engine.evaluate_rule(rule, now + timedelta(seconds=1))
    assert Alert.objects.get(rule=rule).severity == "warning"
