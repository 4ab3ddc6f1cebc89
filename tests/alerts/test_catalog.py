"""Catalog evaluators over data the other apps store, read through their query functions."""

import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import catalog
from alerts.engine import evaluate_rule
from alerts.models import AlertRule

pytestmark = pytest.mark.django_db


def ai_calls(n, errors=0, model="gpt-4o", tenant="acme", at=None, **fields):
    from ailogs.models import AiCall

    at = at or timezone.now() - timedelta(minutes=1)
    rows = [
        AiCall(
            function="summarise",
            provider="openai",
            model=model,
            tenant=tenant,
            timestamp=at,
            status="error" if i < errors else "success",
            duration_ms=100 + i,
            prompt_tokens=10,
            completion_tokens=5,
            total_tokens=15,
            cost_usd=0.01,
            **fields,
        )
        for i in range(n)
    ]
    AiCall.objects.bulk_create(rows)


def rule(**fields):
    defaults = {"name": "r", "metric": "ai_error_rate", "window_minutes": 10, "warning_threshold": 1, "min_samples": 1}
    return AlertRule(**{**defaults, **fields})


def measure(r):
    now = timezone.now()
    return catalog.measure(r, now - timedelta(minutes=r.window_minutes), now)


def test_ai_error_rate_honours_the_model_and_tenant_filters():
    ai_calls(100, errors=10, model="gpt-4o")
    ai_calls(100, errors=0, model="claude", tenant="other")
    assert measure(rule()) == catalog.Measurement(5.0, 200)
    assert measure(rule(filters={"model": "gpt-4o"})) == catalog.Measurement(10.0, 100)
    assert measure(rule(filters={"tenant": "other"})) == catalog.Measurement(0.0, 100)


def test_ai_usage_keys():
    ai_calls(10, errors=2)
    assert measure(rule(metric="ai_calls")).value == 10
    assert measure(rule(metric="ai_tokens")).value == 150
    assert measure(rule(metric="ai_cost_usd")).value == pytest.approx(0.1)
    # alert p95s come from the mergeable duration histogram (the rollups' LogHistogram): within 1 %
    assert measure(rule(metric="ai_latency_p95_ms")).value == pytest.approx(108.55, rel=0.01)


def test_an_empty_window_is_no_data():
    assert measure(rule()) == catalog.Measurement(None, 0)


def test_one_error_out_of_two_calls_pages_nobody():
    ai_calls(2, errors=1)
    r = rule(min_samples=20, critical_threshold=5)
    r.save()
    assert evaluate_rule(r) == []
    ai_calls(30, errors=10)
    r.refresh_from_db()
    assert [t.severity for t in evaluate_rule(r)] == ["critical"]


def test_counts_from_the_platform_tables():
    from monitoring_site.models import AuditEvent

    AuditEvent.objects.create(kind="export", actor_label="a")
    AuditEvent.objects.create(kind="rate_limited", actor_label="a")
    assert measure(rule(metric="audit_events")).value == 2
    assert measure(rule(metric="audit_events", filters={"kind": "export"})).value == 1


def test_an_absent_app_is_no_data_not_an_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "feedback.queries", None)
    result = measure(rule(metric="feedback_high_priority_pending"))
    assert (result.value, result.samples) == (None, 0) and "feedback.queries" in result.note


def test_every_spec_catalog_key_has_an_evaluator():
    spec = (
        "ai_error_rate ai_latency_p95_ms ai_tokens ai_cost_usd ai_calls http_error_rate http_latency_p95_ms queue_depth "
        "queue_processing_time_p95_s memory_used_percent cpu_percent disk_free_percent failed_logins rate_limited_requests "
        "feedback_high_priority_pending db_connection_failures audit_events "
        "check_down monitor_down health_degraded health_limited"  # SPEC section 10
    ).split()
    assert sorted(catalog.CATALOG) == sorted(spec)
    assert catalog.is_known("metric:checkout_ms") and not catalog.is_known("metric:") and not catalog.is_known("nope")


def metric_samples(name, values, tags=None, at=None):
    from metrics.ingest import store

    at = at or timezone.now() - timedelta(minutes=2)
    rows = [
        {
            "name": name,
            "type": "gauge",
            "value": float(v),
            "unit": "",
            "tags": dict(tags or {}),
            "source": "test",
            "route": "",
            "timestamp": at + timedelta(seconds=i),
            "event_id": None,
        }
        for i, v in enumerate(values)
    ]
    store(rows)


def test_queue_depth_is_the_max_and_filters_by_tag():
    metric_samples("celery_queue_depth", [5, 150], tags={"queue": "celery"})
    metric_samples("celery_queue_depth", [2000], tags={"queue": "notifications"})
    assert measure(rule(metric="queue_depth", filters={"tags": {"queue": "celery"}})) == catalog.Measurement(150.0, 2)
    assert measure(rule(metric="queue_depth")) == catalog.Measurement(2000.0, 3)


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [("avg", 50.5), ("sum", 5050), ("min", 1), ("max", 100), ("count", 100), ("p50", 50.5), ("last", 100)],
)
def test_metric_rules_aggregate_any_ingested_metric(aggregation, expected):
    metric_samples("checkout_ms", range(1, 101), tags={"region": "eu"})
    metric_samples("checkout_ms", [10_000], tags={"region": "us"})
    result = measure(rule(metric="metric:checkout_ms", aggregation=aggregation, filters={"tags": {"region": "eu"}}))
    assert result.value == pytest.approx(expected) and result.samples == 100


def test_system_metric_keys():
    metric_samples("system_memory_used_percent", [70, 80])
    metric_samples("system_cpu_percent", [95, 85])
    metric_samples("system_disk_free_percent", [30, 15])
    metric_samples("celery_task_duration_seconds", range(1, 101), tags={"task": "x"})
    assert measure(rule(metric="memory_used_percent")).value == 75
    assert measure(rule(metric="cpu_percent")).value == 90
    assert measure(rule(metric="disk_free_percent")).value == 15
    assert measure(rule(metric="queue_processing_time_p95_s")).value == pytest.approx(95.05)


def test_db_connection_failures_are_zero_without_samples_and_critical_above():
    r = rule(metric="db_connection_failures", warning_threshold=None, critical_threshold=0)
    assert measure(r) == catalog.Measurement(0.0, 1)
    metric_samples("db_connection_failures", [1])
    assert r.severity_for(measure(r).value) == "critical"


def test_http_keys_and_rate_limited_requests():
    from metrics.recorder import RequestRecorder
    from monitoring_site.models import AuditEvent

    recorder = RequestRecorder()
    at = (timezone.now() - timedelta(minutes=2)).timestamp()
    for i in range(17):
        recorder.record("/api/v1/x/", "GET", 200, 100 + i, now=at)
    recorder.record("/api/v1/x/", "GET", 503, 3000, now=at)
    recorder.record("/api/v1/x/", "GET", 503, 3000, now=at)
    recorder.record("/api/v1/x/", "GET", 429, 1, now=at)
    recorder.flush()
    AuditEvent.objects.create(kind="rate_limited", actor_label="x")
    error_rate = measure(rule(metric="http_error_rate"))
    assert (error_rate.value, error_rate.samples) == (10.0, 20)
    assert measure(rule(metric="http_latency_p95_ms")).value > 1000
    assert measure(rule(metric="rate_limited_requests")).value == 2


def test_feedback_high_priority_pending_counts_pending_high_priority_only():
    from feedback.models import Feedback

    Feedback.objects.create(message="broken", priority="high")
    Feedback.objects.create(message="broken too", priority="high")
    Feedback.objects.create(message="meh", priority="low")
    Feedback.objects.create(message="done", priority="high", status="resolved")
    assert measure(rule(metric="feedback_high_priority_pending")) == catalog.Measurement(2.0, 1)
