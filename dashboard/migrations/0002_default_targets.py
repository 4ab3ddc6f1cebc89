from django.db import migrations

# The targets of the dashboard issue; Admins edit them in the admin afterwards.
DEFAULTS = [
    ("ai_latency_avg_ms", "lt", 500, "ms"),
    ("ai_error_rate", "lt", 2, "%"),
    ("ai_latency_p95_ms", "lt", 3000, "ms"),
    ("dashboard_load_ms", "lt", 2000, "ms"),
    ("uptime_percent", "gte", 99.9, "%"),
    ("mttr_minutes", "lt", 5, "min"),
]


def create(apps, schema_editor):
    Target = apps.get_model("dashboard", "Target")
    for position, (key, comparison, threshold, unit) in enumerate(DEFAULTS):
        Target.objects.get_or_create(
            key=key, defaults={"comparison": comparison, "threshold": threshold, "unit": unit, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
