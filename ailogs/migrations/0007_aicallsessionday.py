from django.db import migrations, models


def roll_up_again(apps, schema_editor):
    """Days rolled up before these tables existed have no session or actor-type rows: let the next rollup run
    rebuild every retained hour and day (a backfill), and stats read raw rows until it has."""
    apps.get_model("ailogs", "RollupState").objects.update(last_id=0, ran_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("ailogs", "0006_daily_rollups_and_sketches"),
    ]

    operations = [
        migrations.CreateModel(
            name="AiCallSessionDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateTimeField(help_text="00:00 UTC of the day.")),
                ("tenant", models.CharField(blank=True, max_length=100)),
                ("session_id", models.CharField(max_length=255)),
                ("user_id", models.CharField(blank=True, max_length=255)),
                ("calls", models.BigIntegerField(default=0)),
                ("errors", models.BigIntegerField(default=0)),
                ("cost_usd", models.FloatField(default=0.0)),
                ("total_tokens", models.BigIntegerField(default=0)),
                ("first_seen", models.DateTimeField()),
                ("last_seen", models.DateTimeField()),
                (
                    "traces",
                    models.JSONField(default=list, help_text="The distinct trace ids of these calls ("" for calls without one)."),
                ),
            ],
            options={
                "verbose_name": "AI session day",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "tenant", "session_id", "user_id"), name="ailogs_session_day_key"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AiCallActorDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateTimeField(help_text="00:00 UTC of the day.")),
                ("tenant", models.CharField(blank=True, max_length=100)),
                ("actor_type", models.CharField(blank=True, max_length=50)),
                ("calls", models.BigIntegerField(default=0)),
                ("cost_usd", models.FloatField(default=0.0)),
            ],
            options={
                "verbose_name": "AI actor-type day",
                "constraints": [
                    models.UniqueConstraint(fields=("day", "tenant", "actor_type"), name="ailogs_actor_day_key")
                ],
            },
        ),
        migrations.RunPython(roll_up_again, migrations.RunPython.noop),
    ]
