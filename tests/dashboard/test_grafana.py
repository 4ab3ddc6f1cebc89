import json
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "ai-monitoring.json"
METRICS = [
    "django_http_requests_total_by_view_transport_method_total",
    "django_http_responses_total_by_status_total",
    "django_http_requests_latency_seconds_by_view_method_bucket",
    "django_db_execute_total",
    "ailogs_events_total",
    "ailogs_tokens_total",
    "ailogs_cost_usd_total",
    "feedback_submissions_total",
    "alerts_firing",
    "alert_notifications_total",
    "celery_queue_depth",
]


def test_it_charts_every_metric_of_the_metrics_endpoint():
    board = json.loads(DASHBOARD.read_text())
    expressions = " ".join(t["expr"] for p in board["panels"] for t in p.get("targets", []))
    assert [m for m in METRICS if m not in expressions] == []
    assert all(p["datasource"]["uid"] == "${DS_PROMETHEUS}" for p in board["panels"] if "targets" in p)
