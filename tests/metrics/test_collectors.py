import sys
import types

from celery import signals as celery_signals

from metrics import collectors
from metrics import signals as metric_signals
from metrics.models import MetricSample
from metrics.prometheus import LatestValuesCollector
from monitoring_site.queues import QUEUES


def names(**filters):
    return set(MetricSample.objects.filter(**filters).values_list("name", flat=True))


def test_it_collects_every_catalog_metric(db, settings, tmp_path):
    settings.EXPORTS_DIR = tmp_path / "exports"
    settings.EXPORTS_DIR.mkdir()
    (settings.EXPORTS_DIR / "a.csv").write_bytes(b"x" * 1234)
    written = collectors.collect()
    assert written["system"] == 3 and written["database"] == 2
    assert {
        "system_cpu_percent",
        "system_memory_used_percent",
        "system_disk_free_percent",
        "db_roundtrip_ms",
        "db_connection_failures",
        "celery_queue_depth",
        "storage_used_bytes",
    } <= names()
    exports = MetricSample.objects.get(name="storage_used_bytes", tags__kind="exports")
    assert exports.value == 1234
    queues = set(MetricSample.objects.filter(name="celery_queue_depth").values_list("tags__queue", flat=True))
    assert queues == set(QUEUES)
    assert 0 <= MetricSample.objects.get(name="system_memory_used_percent").value <= 100


def test_a_failing_collector_does_not_stop_the_others(db, monkeypatch):
    def broken():
        raise ConnectionError("broker down")

    monkeypatch.setattr(collectors, "COLLECTORS", (broken, collectors.storage))
    assert collectors.collect() == {"broken": 0, "storage": 2}


def test_database_failures_are_reported_once_the_database_answers(db, monkeypatch):
    collectors.record_db_failure()
    collectors.record_db_failure()
    values = dict((name, value) for name, value, _, _ in collectors.database())
    assert values["db_connection_failures"] == 2
    assert dict((n, v) for n, v, _, _ in collectors.database())["db_connection_failures"] == 0


def test_active_sessions_are_skipped_until_ailogs_provides_them_then_collected(db, monkeypatch):
    monkeypatch.setitem(sys.modules, "ailogs.queries", types.SimpleNamespace())
    assert collectors.sessions() == []
    monkeypatch.setitem(sys.modules, "ailogs.queries", types.SimpleNamespace(active_sessions=lambda since, until: 7))
    assert collectors.sessions()[0][:2] == ("active_sessions", 7)


def test_task_durations_come_from_celery_signals(db, monkeypatch):
    monkeypatch.setattr(metric_signals, "FLUSH_EVERY", 2)
    monkeypatch.setattr(metric_signals, "_buffer", [])  # timings of tasks other tests ran
    monkeypatch.setattr(metric_signals, "FLUSH_SECONDS", 3600)  # only the count triggers the flush

    class Task:
        name = "alerts.tasks.evaluate"

    task = Task()
    for task_id in ("t1", "t2"):
        celery_signals.task_prerun.send(sender=task, task_id=task_id, task=task)
        celery_signals.task_postrun.send(sender=task, task_id=task_id, task=task)
    rows = MetricSample.objects.filter(name="celery_task_duration_seconds")
    assert rows.count() == 2
    assert {r.tags["task"] for r in rows} == {"alerts.tasks.evaluate"}
    assert all(0 <= r.value < 5 for r in rows)


def test_prometheus_exports_the_latest_collected_values(db, client):
    collectors.collect()
    families = {f.name: f for f in LatestValuesCollector().collect()}
    depth = families["celery_queue_depth"]
    assert {s.labels["queue"] for s in depth.samples} == set(QUEUES)
    body = client.get("/metrics").content.decode()
    assert 'celery_queue_depth{queue="celery"}' in body
    assert "system_memory_used_percent " in body
