from celery.schedules import crontab

SCHEDULE = {
    # Stats trust rollups up to the hour of the last run, so run often; expires avoids a pile-up.
    "ailogs-rollup": {"task": "ailogs.tasks.rollup_recent", "schedule": 60.0, "options": {"expires": 55}},
    "ailogs-purge": {"task": "ailogs.tasks.purge_expired_calls", "schedule": crontab(minute=27, hour=3)},
}
