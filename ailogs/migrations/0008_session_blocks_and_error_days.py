from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import migrations, models

BLOCK_SECONDS = 8 * 86400  # models.SESSION_BLOCK_DAYS
# ailogs.rollup.SIX_HOURS_SQL as of this migration
SIX_HOURS_SQL = """
INSERT INTO ailogs_aicallhourly (period, hour, grain, model, function, provider, tenant, status, count,
    prompt_tokens, completion_tokens, total_tokens, cost_usd, unpriced, duration_sum, histogram)
SELECT '6h', s.t, s.grain, '', '', '', s.tenant, s.status, s.c, s.pt, s.ct, s.tt, s.cost, s.unpriced, s.dur,
    jsonb_build_object('p', COALESCE(b.p, '{}'::jsonb), 'n', '{}'::jsonb, 'z', s.z)
FROM (
    SELECT date_trunc('day', hour, 'UTC') + floor(date_part('hour', hour AT TIME ZONE 'UTC') / 6) * interval '6 hours' AS t,
        grain, tenant, status, sum(count) AS c, sum(prompt_tokens) AS pt, sum(completion_tokens) AS ct,
        sum(total_tokens) AS tt, sum(cost_usd) AS cost, sum(unpriced) AS unpriced, sum(duration_sum) AS dur,
        COALESCE(sum((histogram ->> 'z')::bigint), 0) AS z
    FROM ailogs_aicallhourly
    WHERE period = 'hour' AND grain IN ('all', 'tenant') AND hour >= %(start)s AND hour < %(end)s
    GROUP BY 1, 2, 3, 4
) AS s LEFT JOIN (
    SELECT t, grain, tenant, status, jsonb_object_agg(k, n) AS p FROM (
        SELECT date_trunc('day', hour, 'UTC') + floor(date_part('hour', hour AT TIME ZONE 'UTC') / 6) * interval '6 hours' AS t,
            grain, tenant, status, e.key AS k, sum(e.value::bigint) AS n
        FROM ailogs_aicallhourly CROSS JOIN LATERAL jsonb_each_text(histogram -> 'p') AS e
        WHERE period = 'hour' AND grain IN ('all', 'tenant') AND hour >= %(start)s AND hour < %(end)s
        GROUP BY 1, 2, 3, 4, 5
    ) AS per_bucket GROUP BY 1, 2, 3, 4
) AS b USING (t, grain, tenant, status)
"""


def fill(apps, schema_editor):
    """Give the days already rolled up their six-hour rows, error rows and session blocks.
    PostgreSQL: three INSERT ... SELECT, over the hour rows of grains "all" and "tenant", the
    retained failed calls (their partial index) and the session day rows (seconds for 5M calls);
    elsewhere the next rollup run rebuilds every retained
    hour and day instead (a backfill, as in 0007), and stats read raw rows until it has."""
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
        cursor.execute(SIX_HOURS_SQL, {"start": datetime(1970, 1, 1, tzinfo=UTC), "end": rolled_days})
        cursor.execute(
            """INSERT INTO ailogs_aicallerrorday (day, function, model, error_message, calls, last_seen)
            SELECT date_trunc('day', "timestamp", 'UTC'), function, model, error_message, count(*), max("timestamp")
            FROM ailogs_aicall WHERE "timestamp" >= %s AND "timestamp" < %s AND NOT (status = 'success')
            GROUP BY 1, 2, 3, 4""",
            (retained, rolled_days),
        )
        cursor.execute(
            """INSERT INTO ailogs_aicallsessionblock (day, days, tenant, session_id, user_id, calls, errors, cost_usd,
                total_tokens, first_seen, last_seen)
            SELECT b, LEAST(%(days)s, (extract(epoch FROM %(end)s - b) / 86400)::int), tenant, session_id, user_id,
                sum(calls), sum(errors), sum(cost_usd), sum(total_tokens), min(first_seen), max(last_seen)
            FROM (SELECT to_timestamp(floor(extract(epoch FROM day) / %(seconds)s) * %(seconds)s) AS b, *
                FROM ailogs_aicallsessionday WHERE day < %(end)s) AS d
            GROUP BY b, tenant, session_id, user_id""",
            {"days": BLOCK_SECONDS // 86400, "seconds": BLOCK_SECONDS, "end": rolled_days},
        )


def drop_six_hours(apps, schema_editor):
    apps.get_model("ailogs", "AiCallHourly").objects.filter(period="6h").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ailogs", "0007_aicallsessionday"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="aicallsessionday",
            index=models.Index(fields=["session_id", "day"], name="ailogs_session_day_session"),
        ),
        migrations.AlterField(
            model_name="aicallhourly",
            name="hour",
            field=models.DateTimeField(
                help_text="Start of the hour, of the six hours, or of the UTC day for day rows."
            ),
        ),
        migrations.AlterField(
            model_name="aicallhourly",
            name="period",
            field=models.CharField(
                choices=[("hour", "Hour"), ("day", "Day"), ("6h", "Six Hours")], default="hour", max_length=4
            ),
        ),
        migrations.CreateModel(
            name="AiCallErrorDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateTimeField(help_text="00:00 UTC of the day.")),
                ("function", models.CharField(max_length=100)),
                ("model", models.CharField(blank=True, max_length=100)),
                ("error_message", models.TextField(blank=True)),
                ("calls", models.BigIntegerField(default=0)),
                ("last_seen", models.DateTimeField()),
            ],
            options={
                "verbose_name": "AI error day",
                "indexes": [models.Index(fields=["day"], name="ailogs_error_day")],
            },
        ),
        migrations.CreateModel(
            name="AiCallSessionBlock",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateTimeField(help_text="00:00 UTC of the block's first day.")),
                ("days", models.PositiveSmallIntegerField(help_text="The days from `day` on that the row sums.")),
                ("tenant", models.CharField(blank=True, max_length=100)),
                ("session_id", models.CharField(max_length=255)),
                ("user_id", models.CharField(blank=True, max_length=255)),
                ("calls", models.BigIntegerField(default=0)),
                ("errors", models.BigIntegerField(default=0)),
                ("cost_usd", models.FloatField(default=0.0)),
                ("total_tokens", models.BigIntegerField(default=0)),
                ("first_seen", models.DateTimeField()),
                ("last_seen", models.DateTimeField()),
            ],
            options={
                "verbose_name": "AI session block",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "tenant", "session_id", "user_id"), name="ailogs_session_block_key"
                    )
                ],
            },
        ),
        migrations.RunPython(fill, drop_six_hours),
    ]
