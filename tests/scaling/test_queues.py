"""Queues per role: each periodic task lands on its role's queue, and the default worker takes all."""

import re
from pathlib import Path

import pytest

from monitoring_site.celery import app, collect_beat_schedule
from monitoring_site.queues import QUEUES

ROLES = {
    "ailogs.tasks.rollup_recent": "ingest",
    "metrics.tasks.rollup_metrics": "ingest",
    "metrics.tasks.ensure_metric_partitions": "ingest",
    "traces.tasks.ensure_span_partitions": "ingest",
    "traces.tasks.purge_spans": "retention",
    "alerts.tasks.evaluate_alerts": "evaluation",
    "checks.tasks.sweep_late_checks": "evaluation",
    "checks.tasks.dispatch_monitors": "evaluation",
    "checks.tasks.run_monitor": "notifications",
    "checks.tasks.purge_pings_and_results": "retention",
    "alerts.tasks.deliver_notification": "notifications",
    "alerts.tasks.send_report": "reports",
    "dashboard.tasks.warm_overview": "reports",
    "dashboard.tasks.warm_all": "reports",
    "ailogs.tasks.purge_expired_calls": "retention",
    "metrics.tasks.purge_metrics": "retention",
    "alerts.tasks.purge_resolved_alerts": "retention",
    "monitoring_site.tasks.purge_audit_events": "retention",
    "monitoring_site.tasks.heartbeat": "celery",
    "metrics.tasks.collect_metrics": "celery",
}


def queue_of(task: str) -> str:
    return app.amqp.router.route({}, task)["queue"].name


@pytest.mark.parametrize("task,queue", ROLES.items())
def test_it_routes_each_task_to_its_roles_queue(task, queue):
    assert queue_of(task) == queue


def test_every_scheduled_task_is_on_a_known_queue():
    for entry in collect_beat_schedule().values():
        assert queue_of(entry["task"]) in QUEUES, entry["task"]


def test_the_procfile_worker_takes_every_queue_by_default():
    line = next(li for li in Path("Procfile").read_text().splitlines() if li.startswith("worker:"))
    default = re.search(r"--queues \$\{CELERY_QUEUES:-([a-z,]+)\}", line).group(1)
    assert set(default.split(",")) == set(QUEUES)
