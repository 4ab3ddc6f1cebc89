import functools
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ailogs import retention, rollup
from ailogs.metrics import AiLogsCollector
from ailogs.models import AiCall, AiCallHourly
from monitoring_site import retention as shared_retention

pytestmark = pytest.mark.django_db


def old_and_new(old: int, new: int):
    now = timezone.now()
    AiCall.objects.bulk_create(
        [
            AiCall(
                function="f",
                model="m",
                duration_ms=1,
                total_tokens=10,
                cost_usd=0.5,
                timestamp=now - timedelta(days=100, minutes=i),
            )
            for i in range(old)
        ]
        + [AiCall(function="f", model="m", duration_ms=1, timestamp=now - timedelta(minutes=i)) for i in range(new)]
    )


def test_dry_run_counts_and_deletes_nothing():
    old_and_new(7, 3)
    out = StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    assert "ai calls: would delete 7 rows" in out.getvalue()
    assert AiCall.objects.count() == 10


def test_it_purges_in_short_batches(monkeypatch):
    old_and_new(12, 3)
    monkeypatch.setattr(
        retention, "purge_in_batches", functools.partial(shared_retention.purge_in_batches, batch_size=5)
    )
    with CaptureQueriesContext(connection) as queries:
        assert retention.purge(dry_run=False)["ai calls"] == 12
    deletes = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE") and "ailogs_aicall" in q["sql"]
    ]
    # 5 + 5 + 2 rows, each in its own short transaction (on PostgreSQL: rows older than any
    # partition, which the DEFAULT partition holds)
    assert len(deletes) == 3
    assert AiCall.objects.count() == 3


def samples():
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for m in AiLogsCollector().collect() for s in m.samples}


@override_settings(RETENTION_AI_LOGS_DAYS=90)
def test_prometheus_counters_survive_a_purge():
    old_and_new(0, 4)
    now = timezone.now()
    AiCall.objects.create(
        function="f",
        model="m",
        duration_ms=1,
        status="error",
        total_tokens=10,
        cost_usd=0.5,
        timestamp=now - timedelta(days=89),
    )
    rollup.run()
    before = samples()
    assert before[("ailogs_events_total", (("model", "m"), ("status", "success")))] == 4
    assert before[("ailogs_events_total", (("model", "m"), ("status", "error")))] == 1
    assert before[("ailogs_cost_usd_total", (("model", "m"),))] == 0.5
    with override_settings(RETENTION_AI_LOGS_DAYS=30):
        retention.purge(dry_run=False)
        rollup.run()
    assert AiCall.objects.count() == 4
    assert samples() == before
    assert AiCallHourly.objects.exists()


def test_metrics_endpoint_shows_the_counters(client):
    old_and_new(0, 2)
    rollup.run()
    body = client.get("/metrics").content.decode()
    assert 'ailogs_events_total{model="m",status="success"} 2.0' in body
    assert "ailogs_tokens_total" in body and "ailogs_cost_usd_total" in body
