"""Rules as code: export_rules / import_rules round-trip, validate like the API and are idempotent."""

from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from alerts.defaults import DEFAULT_RULES
from alerts.models import AlertRule, NotificationChannel
from monitoring_site.models import AuditEvent

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def write(tmp_path, rules, name="rules.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"rules": rules}))
    return str(path)


def test_export_then_import_into_an_empty_database_then_export_again_is_identical(tmp_path):
    run("setup_defaults")
    slack = NotificationChannel.objects.create(name="team slack", kind="slack", target="https://hooks.example/x")
    rule = AlertRule.objects.create(
        name="Checkout p95",
        metric="metric:checkout_ms",
        aggregation="p95",
        filters={"tags": {"region": "eu"}},
        warning_threshold=800,
        resolve_threshold=600.5,
        keep_firing_minutes=5,
        enabled=False,
    )
    rule.channels.set([slack])
    first = tmp_path / "rules.yaml"
    run("export_rules", "--output", str(first))
    assert "team slack" in first.read_text() and "hooks.example" not in first.read_text()

    AlertRule.objects.all().delete()
    assert AlertRule.objects.count() == 0
    out = run("import_rules", str(first))
    total = len(DEFAULT_RULES) + 1
    assert out.splitlines()[-1] == f"{total} to create, 0 to update, 0 unchanged, 0 to delete"
    imported = AlertRule.objects.get(name="Checkout p95")
    assert [c.name for c in imported.channels.all()] == ["team slack"] and imported.resolve_threshold == 600.5
    assert run("export_rules") == first.read_text()
    assert (
        run("import_rules", str(first)).splitlines()[-1] == f"0 to create, 0 to update, {total} unchanged, 0 to delete"
    )


def test_a_dry_run_prints_the_changes_and_changes_nothing_then_prune_deletes(tmp_path):
    AlertRule.objects.create(name="Logins", metric="failed_logins", warning_threshold=5)
    AlertRule.objects.create(name="Old", metric="failed_logins", warning_threshold=50)
    path = write(
        tmp_path,
        [
            {"name": "Logins", "metric": "failed_logins", "warning_threshold": 8, "keep_firing_minutes": 10},
            {"name": "Errors", "metric": "ai_error_rate", "critical_threshold": 20, "window_minutes": 5},
        ],
    )
    out = run("import_rules", path, "--dry-run", "--prune")
    assert out.splitlines() == [
        "create Errors",
        "update Logins: warning_threshold, keep_firing_minutes",
        "delete Old",
        "1 to create, 1 to update, 0 unchanged, 1 to delete",
        "dry run: nothing changed",
    ]
    assert sorted(AlertRule.objects.values_list("name", "warning_threshold")) == [("Logins", 5), ("Old", 50)]
    run("import_rules", path)
    assert AlertRule.objects.filter(name="Old").exists()  # no --prune: kept
    assert AlertRule.objects.get(name="Logins").warning_threshold == 8
    run("import_rules", path, "--prune")
    assert sorted(AlertRule.objects.values_list("name", flat=True)) == ["Errors", "Logins"]
    assert AuditEvent.objects.filter(kind="config_changed", actor_label="manage.py import_rules").count() == 2


def test_every_error_names_its_rule_and_field_and_nothing_is_imported(tmp_path):
    path = write(
        tmp_path,
        [
            {"name": "Fine", "metric": "failed_logins", "warning_threshold": 5},
            {"name": "Typo", "metric": "ai_eror_rate", "warning_threshold": 5},
            {"name": "No threshold", "metric": "failed_logins"},
            {"name": "Bad filter", "metric": "ai_error_rate", "warning_threshold": 1, "filters": {"route": "/x"}},
            {"name": "Paging", "metric": "failed_logins", "warning_threshold": 5, "channels": ["pager"]},
            {"name": "Extra", "metric": "failed_logins", "warning_threshold": 5, "treshold": 1},
            {"name": "Window", "metric": "failed_logins", "warning_threshold": 5, "window_minutes": 0},
            {"name": "Fine", "metric": "failed_logins", "warning_threshold": 6},
            {"metric": "failed_logins"},
        ],
    )
    with pytest.raises(CommandError) as caught:
        run("import_rules", path)
    message = str(caught.value)
    for expected in (
        "rule 'Typo': metric: Unknown metric 'ai_eror_rate'",
        "rule 'No threshold': warning_threshold: Set a warning or a critical threshold",
        "rule 'Bad filter': filters: ai_error_rate cannot filter on 'route'",
        "rule 'Paging': channels: no channel named 'pager'",
        "rule 'Extra': treshold: unknown field",
        "rule 'Window': window_minutes: Between 1 minute and 7 days.",
        "rule 'Fine': name: appears twice in the file",
        "rule 9: name: required",
    ):
        assert expected in message
    assert not AlertRule.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [("rules: [\n", "not valid YAML"), ("- name: x\n", "expected a mapping with a 'rules' list")],
)
def test_a_file_that_is_not_a_rule_file_is_refused(tmp_path, text, message):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    with pytest.raises(CommandError, match=message):
        run("import_rules", str(path))
    with pytest.raises(CommandError, match="cannot read it"):
        run("import_rules", str(tmp_path / "missing.yaml"))
