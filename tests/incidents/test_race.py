"""Two critical alerts firing at the same moment, in two workers, open exactly one incident: the
database allows one open incident opened by alerts, and the second alert attaches to it."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from alerts.engine import evaluate_rule
from alerts.models import Alert, AlertRule
from conftest import wait_for
from incidents import services
from incidents.models import Incident
from tests.alerts.conftest import failed_logins

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two writers at once need PostgreSQL; SQLite serialises them"
)


def in_threads(*targets) -> None:
    """Run each target in its own thread (its own connection); a thread's failure fails the test."""
    errors = []

    def run(target):
        try:
            target()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []


def critical_alert(name: str) -> Alert:
    rule = AlertRule.objects.create(name=name, metric="failed_logins", warning_threshold=5, critical_threshold=20)
    return Alert.objects.create(rule=rule, severity="critical", state="firing", fired_at=timezone.now(), message=name)


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_alert_firing_while_another_opens_the_incident_joins_it():
    """The race held open: the first worker has inserted its incident but not committed when the
    second looks for an open one (and finds none)."""
    first, second = critical_alert("db down"), critical_alert("api down")
    inserted, second_done, release = threading.Event(), threading.Event(), threading.Event()

    def first_worker():
        with transaction.atomic():
            services.attach_alert(first.pk, "critical")
            inserted.set()
            release.wait(20)

    def second_worker():
        inserted.wait(20)
        services.attach_alert(second.pk, "critical")
        second_done.set()

    def referee():
        inserted.wait(20)
        # Commit the first only once the second has acted: waits on the index, or (before the
        # constraint) has opened an incident of its own.
        wait_for(lambda: second_done.is_set() or waiting_on_a_lock())
        release.set()

    in_threads(first_worker, second_worker, referee)
    incident = Incident.objects.get()
    assert incident.opened_by_alert
    assert sorted(incident.alerts.values_list("message", flat=True)) == ["api down", "db down"]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_critical_rules_evaluated_at_once_open_one_incident():
    rules = [
        AlertRule.objects.create(
            name=f"logins {i}", metric="failed_logins", warning_threshold=5, critical_threshold=20, min_samples=1
        )
        for i in range(2)
    ]
    failed_logins(25)
    now = timezone.now()
    barrier = threading.Barrier(2)

    def evaluate(rule):
        def run():
            barrier.wait(10)
            evaluate_rule(AlertRule.objects.get(pk=rule.pk), now)

        return run

    in_threads(*(evaluate(rule) for rule in rules))
    assert Alert.objects.filter(state="firing", severity="critical").count() == 2
    incident = Incident.objects.get()
    assert incident.alerts.count() == 2


@pytest.mark.django_db
def test_a_resolved_incident_is_not_reopened_while_alerts_have_another_open(client_for, alice):
    old = Incident.objects.create(title="yesterday", opened_by_alert=True, status="resolved")
    old.resolved_at = old.created_at
    old.save()
    services.attach_alert(critical_alert("api down").pk, "critical")
    current = Incident.objects.get(status="open")

    response = client_for(alice).post(old.get_absolute_url(), {"body": "it is back", "status": "open"})
    assert response.status_code == 200
    assert f"Incident #{current.pk} (api down), also opened by an alert, is open" in response.content.decode()
    old.refresh_from_db()
    assert old.status == "resolved" and not old.updates.exists()

    response = client_for(alice).post(f"/admin/incidents/incident/{old.pk}/change/", admin_form(old, status="open"))
    assert response.status_code == 200
    assert "also opened by an alert, is open" in response.content.decode()
    assert Incident.objects.filter(status="open").count() == 1


def admin_form(incident: Incident, **changes) -> dict:
    fields = {
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "created_at_0": incident.created_at.strftime("%Y-%m-%d"),
        "created_at_1": incident.created_at.strftime("%H:%M:%S"),
        "resolved_at_0": incident.created_at.strftime("%Y-%m-%d"),
        "resolved_at_1": incident.created_at.strftime("%H:%M:%S"),
    }
    for prefix in ("action_items", "updates"):
        fields |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return fields | changes
