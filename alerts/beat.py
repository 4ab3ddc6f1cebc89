from celery.schedules import crontab

SCHEDULE = {
    "alerts-evaluate": {"task": "alerts.tasks.evaluate_alerts", "schedule": 60.0, "options": {"expires": 55}},
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
