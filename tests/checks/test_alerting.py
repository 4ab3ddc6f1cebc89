"""A late check through the real engine, a real worker and a real HTTP receiver: one alert, one
notification per outage, resolved on the next success; a critical alert opens one incident."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import defaults, engine
from alerts.models import Alert, AlertRule, NotificationChannel, NotificationDelivery
from checks.models import Check
from checks.services import sweep_late
from conftest import wait_for
from incidents.models import Incident
from tests.alerts.conftest import Receiver
from tests.checks.conftest import ping

pytestmark = pytest.mark.celery_worker
MINUTE = timedelta(minutes=1)


@pytest.fixture
def receiver(settings):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORKS = True
    for port in range(8120, 8130):
        try:
            instance = Receiver(port)
            break
        except RuntimeError:
            continue
    else:
        pytest.fail("no free port in 8120-8129")
    yield instance
    instance.close()


def sent(event: str) -> int:
    return NotificationDelivery.objects.filter(event=event, status="sent").count()


def test_one_alert_and_one_notification_per_outage_with_a_real_worker(celery_worker, receiver):
    defaults.install(type("Quiet", (), {"write": lambda *a: None})())
    rule = AlertRule.objects.get(default_key="check_down")
    NotificationChannel.objects.create(name="ops hook", kind="webhook", target=receiver.url(), min_severity="warning")
    now = timezone.now().replace(microsecond=0)
    backup = Check.objects.create(name="Nightly backup", period_seconds=3600, grace_seconds=600)
    other = Check.objects.create(name="Report mailer", period_seconds=3600, grace_seconds=600)
    for check in (backup, other):
        ping(check, at=now - 2 * timedelta(hours=1))
    ping(other, at=now - MINUTE)

    assert sweep_late(now) == 1
    for minute in range(3):  # the outage lasts three evaluations: still one alert, one notification
        engine.evaluate_rule(rule, now + minute * MINUTE)
    wait_for(lambda: sent("firing") == 1)
    alert = Alert.objects.get(rule=rule)
    assert alert.group_key == "check:nightly-backup" and alert.state == "firing"

    ping(backup, at=now + 3 * MINUTE + timedelta(seconds=30))
    engine.evaluate_rule(rule, now + 4 * MINUTE)
    wait_for(lambda: sent("resolved") == 1)
    alert.refresh_from_db()
    assert alert.state == "resolved"
    assert [b["event"] for b in receiver.bodies()] == ["firing", "resolved"]
    assert NotificationDelivery.objects.count() == 2

    incident = wait_for(lambda: Incident.objects.first())
    assert incident.opened_by_alert and list(incident.alerts.all()) == [alert]


def test_a_second_critical_alert_attaches_to_the_open_incident(transactional_db):
    defaults.install(type("Quiet", (), {"write": lambda *a: None})())
    rule = AlertRule.objects.get(default_key="check_down")
    now = timezone.now().replace(microsecond=0)
    first = Check.objects.create(name="first", period_seconds=3600, grace_seconds=600)
    ping(first, at=now - 2 * timedelta(hours=1))
    sweep_late(now)
    engine.evaluate_rule(rule, now)
    second = Check.objects.create(name="second", period_seconds=3600, grace_seconds=600)
    ping(second, at=now - timedelta(hours=1) - 11 * MINUTE)
    sweep_late(now + MINUTE)
    engine.evaluate_rule(rule, now + MINUTE)
    assert Incident.objects.count() == 1
    assert sorted(Incident.objects.get().alerts.values_list("group_key", flat=True)) == ["check:first", "check:second"]
