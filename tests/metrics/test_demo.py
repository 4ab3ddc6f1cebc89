from datetime import timedelta
from io import StringIO

from metrics import demo, queries
from metrics.models import MetricRollup


def test_seed_fills_requests_host_metrics_an_episode_and_rollups(db, now):
    out = StringIO()
    demo.seed(days=1, events=0, stdout=out)
    assert "request minutes" in out.getvalue()
    http = queries.http_summary(now - timedelta(hours=2), now)
    assert http["requests"] > 1000 and http["p99_ms"] > http["p50_ms"]
    peak, _ = queries.aggregate(
        "celery_queue_depth", now - timedelta(hours=7), now - timedelta(hours=5), "max", {"queue": "celery"}
    )
    assert peak > 1000
    memory_now, _ = queries.aggregate("system_memory_used_percent", now - timedelta(minutes=30), now, "avg")
    memory_before, _ = queries.aggregate(
        "system_memory_used_percent", now - timedelta(hours=14), now - timedelta(hours=13), "avg"
    )
    assert memory_now > memory_before + 15
    assert MetricRollup.objects.filter(name="http_request_duration_ms").exists()
