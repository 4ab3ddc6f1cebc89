from celery.schedules import crontab

SCHEDULE = {
    "collect-metrics": {"task": "metrics.tasks.collect_metrics", "schedule": 60.0, "options": {"expires": 55}},
    # Recomputes the last METRICS_ROLLUP_HOURS completed hours, so late samples are picked up.
    "rollup-metrics": {"task": "metrics.tasks.rollup_metrics", "schedule": crontab(minute="2,17,32,47")},
    # Partitions a week ahead, created twice a day so one missed run changes nothing.
    "ensure-metric-partitions": {
        "task": "metrics.tasks.ensure_metric_partitions",
        "schedule": crontab(minute=7, hour="0,12"),
    },
    "purge-metrics": {"task": "metrics.tasks.purge_metrics", "schedule": crontab(minute=27, hour=3)},
}
