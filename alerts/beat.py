import os

from celery.schedules import crontab

# The task itself runs at most once a minute (engine.claim_minute); a shorter interval only makes
# the evaluation start sooner after a minute turns (the end-to-end test uses a few seconds).
EVALUATE_SECONDS = float(os.environ.get("ALERTS_EVALUATE_SECONDS", "60"))

SCHEDULE = {
    "alerts-evaluate": {
        "task": "alerts.tasks.evaluate_alerts",
        "schedule": EVALUATE_SECONDS,
        "options": {"expires": max(EVALUATE_SECONDS - 5, 1)},
    },
    "alerts-report-daily": {
        "task": "alerts.tasks.send_report",
        "schedule": crontab(minute=0, hour=9),
        "args": ("daily",),
    },
    "alerts-report-weekly": {
        "task": "alerts.tasks.send_report",
        "schedule": crontab(minute=0, hour=9, day_of_week="mon"),
        "args": ("weekly",),
    },
    "alerts-purge-resolved": {"task": "alerts.tasks.purge_resolved_alerts", "schedule": crontab(minute=37, hour=3)},
}
