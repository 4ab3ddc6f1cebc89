from celery.schedules import crontab

SCHEDULE = {
    "scheduler-heartbeat": {"task": "monitoring_site.tasks.heartbeat", "schedule": 60.0, "options": {"expires": 55}},
    "purge-audit-events": {"task": "monitoring_site.tasks.purge_audit_events", "schedule": crontab(minute=17, hour=3)},
}
