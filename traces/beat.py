from celery.schedules import crontab

SCHEDULE = {
    # Partitions a week ahead, created twice a day so one missed run changes nothing.
    "ensure-span-partitions": {
        "task": "traces.tasks.ensure_span_partitions",
        "schedule": crontab(minute=9, hour="0,12"),
    },
    "purge-spans": {"task": "traces.tasks.purge_spans", "schedule": crontab(minute=37, hour=3)},
}
