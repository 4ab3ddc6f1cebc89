"""The Celery app. Each domain app lists its periodic tasks in `<app>/beat.py` as `SCHEDULE`."""

import importlib
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monitoring_site.settings")

app = Celery("monitoring_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

SCHEDULE_MODULES = (
    "monitoring_site.beat",
    "ailogs.beat",
    "metrics.beat",
    "feedback.beat",
    "alerts.beat",
    "checks.beat",
    "dashboard.beat",
    "traces.beat",
)


def collect_beat_schedule() -> dict:
    """Merge the SCHEDULE dicts of every app; DatabaseScheduler copies them into the database."""
    schedule: dict = {}
    for name in SCHEDULE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        schedule.update(getattr(module, "SCHEDULE", {}))
    return schedule


app.conf.beat_schedule = collect_beat_schedule()
