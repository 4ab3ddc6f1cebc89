import pytest
from django.core.management import call_command

from conftest import wait_for
from monitoring_site.models import HealthSample, Heartbeat
from monitoring_site.tasks import heartbeat

pytestmark = pytest.mark.celery_worker


def test_a_real_worker_runs_the_heartbeat_and_records_a_health_sample(celery_worker):
    heartbeat.delay()
    beat = wait_for(lambda: Heartbeat.objects.filter(name="scheduler").first())
    sample = wait_for(lambda: HealthSample.objects.first())
    assert beat.last_run is not None
    assert sample.database_ok is True


def test_beat_schedule_holds_every_app_entry():
    from monitoring_site.celery import collect_beat_schedule

    schedule = collect_beat_schedule()
    assert schedule["scheduler-heartbeat"]["task"] == "monitoring_site.tasks.heartbeat"


@pytest.mark.django_db
def test_purge_expired_dry_run_reports_counts_without_deleting():
    from io import StringIO

    from django.utils import timezone

    from monitoring_site.models import AuditEvent

    old = AuditEvent.objects.create(kind="export", created_at=timezone.now() - timezone.timedelta(days=800))
    AuditEvent.objects.create(kind="export")
    out = StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    assert "audit events: would delete 1 rows" in out.getvalue()
    assert AuditEvent.objects.filter(pk=old.pk).exists()
    call_command("purge_expired", stdout=StringIO())
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.count() == 1
