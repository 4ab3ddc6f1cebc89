"""Error day rows per tenant, so that a tenant-filtered AI tab lists only that tenant's errors.

PostgreSQL: the error rows of the retained days are rebuilt from their failed calls (one
INSERT ... SELECT over the failed calls' partial index; seconds for 5M calls). Days whose raw
calls retention has already purged keep their rows, counted under no tenant: they still add up in
the unfiltered list, and a tenant-filtered one reads no day that old (30 days at most, retention
90 by default). Elsewhere the next rollup run rebuilds every retained hour and day instead (a
backfill, as in 0007 and 0008).
"""

from datetime import UTC, timedelta

from django.conf import settings
from django.db import migrations, models


def refill(apps, schema_editor):
    state = apps.get_model("ailogs", "RollupState").objects.filter(pk=1).first()
    if state is None or state.ran_at is None:
        return
    if schema_editor.connection.vendor != "postgresql":
        apps.get_model("ailogs", "RollupState").objects.update(last_id=0, ran_at=None)
        return
    ran = state.ran_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    rolled_days = ran.replace(hour=0)  # days before it have day rows
    cutoff = ran - timedelta(days=settings.RETENTION_AI_LOGS_DAYS)
    retained = cutoff.replace(hour=0)
    retained = retained if retained == cutoff else retained + timedelta(days=1)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM ailogs_aicallerrorday WHERE day >= %s AND day < %s", (retained, rolled_days))
        cursor.execute(
            """INSERT INTO ailogs_aicallerrorday (day, tenant, function, model, error_message, calls, last_seen)
            SELECT date_trunc('day', "timestamp", 'UTC'), tenant, function, model, error_message, count(*),
                max("timestamp")
            FROM ailogs_aicall WHERE "timestamp" >= %s AND "timestamp" < %s AND NOT (status = 'success')
            GROUP BY 1, 2, 3, 4, 5""",
            (retained, rolled_days),
        )


class Migration(migrations.Migration):
    dependencies = [("ailogs", "0008_session_blocks_and_error_days")]

    operations = [
        migrations.AddField(
            model_name="aicallerrorday",
            name="tenant",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
        migrations.AlterField(
            model_name="aicallsessionday",
            name="traces",
            field=models.JSONField(default=list, help_text='The distinct trace ids of these calls ("" for calls without one).'),
        ),
        migrations.RunPython(refill, migrations.RunPython.noop),
    ]
