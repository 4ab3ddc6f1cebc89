"""The Celery app. Each domain app lists its periodic tasks in `<app>/beat.py` as `SCHEDULE`."""

import importlib
import os
import sys

from celery import Celery
from celery.signals import beat_init, worker_ready

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


@beat_init.connect(dispatch_uid="monitoring_site.beats")
def _announce_beat(sender=None, **kwargs) -> None:
    """Let /api/health see how many beat processes run (it warns at two or more)."""
    from monitoring_site import beats

    beats.start_announcing()


@beat_init.connect(dispatch_uid="monitoring_site.beat_start")
def record_beat_start(**kwargs) -> None:
    """Note when beat started, so health reads "starting" (not failed) until its first heartbeat."""
    from monitoring_site.health import SCHEDULER_STARTED
    from monitoring_site.models import Heartbeat

    Heartbeat.beat(SCHEDULER_STARTED)
    _say("beat ready: scheduling from the database")


@worker_ready.connect
def announce_worker(sender, **kwargs) -> None:
    _say(f"worker ready: {sender.hostname} consuming")


def _say(line: str) -> None:
    # Straight to the real stdout, as Celery's banner is: `make run` (monitoring_site/run.py) waits
    # for these lines before it prints the login banner, whatever the log level and handlers.
    print(line, file=sys.__stdout__, flush=True)
