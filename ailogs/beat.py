from celery.schedules import crontab

SCHEDULE = {
    # Stats trust rollups up to the hour of the last run, so run often; expires avoids a pile-up.
    "ailogs-rollup": {"task": "ailogs.tasks.rollup_recent", "schedule": 60.0, "options": {"expires": 55}},
    # Partitions a week ahead (calls) and a day ahead (event ids), twice a day so one missed run
    # changes nothing; a day without its partition lands in DEFAULT and is moved over later.
    "ailogs-partitions": {"task": "ailogs.tasks.ensure_ailogs_partitions", "schedule": crontab(minute=9, hour="0,12")},
    "ailogs-purge": {"task": "ailogs.tasks.purge_expired_calls", "schedule": crontab(minute=27, hour=3)},
}
