from celery.schedules import crontab

SCHEDULE = {
    "checks-sweep-late": {"task": "checks.tasks.sweep_late_checks", "schedule": 60.0, "options": {"expires": 55}},
    "checks-dispatch-monitors": {
        "task": "checks.tasks.dispatch_monitors",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    "checks-purge": {"task": "checks.tasks.purge_pings_and_results", "schedule": crontab(minute=47, hour=3)},
}
