"""The default rules stay quiet: a value hovering around a threshold pages once, not per crossing."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from alerts import defaults
from alerts.engine import evaluate_rule
from alerts.models import AlertRule, AlertTransition
from tests.alerts.test_catalog import ai_calls, metric_samples

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)


def notifications(rule: AlertRule) -> list[str]:
    transitions = AlertTransition.objects.filter(alert__rule=rule).order_by("at", "id")
    return [t.reason for t in transitions if t.notifies]


def hover_memory_and_evaluate(rule: AlertRule, minutes: int = 20) -> None:
    """Memory alternating 79 % / 71 % every 3 minutes (5-minute average crossing 75 %), one
    evaluation per minute: the issue's flapping gauge."""
    start = timezone.now() - timedelta(minutes=minutes + 6)
    for m in range(minutes + 6):
        value = 79 if (m // 3) % 2 == 0 else 71
        metric_samples("system_memory_used_percent", [value] * 4, at=start + m * MINUTE)
    for m in range(6, minutes + 6):
        evaluate_rule(AlertRule.objects.get(pk=rule.pk), start + m * MINUTE + timedelta(seconds=30))


def test_every_default_rule_has_anti_flap_settings_and_rates_need_samples():
    rates = {"ai_error_rate", "ai_latency_p95_ms", "http_error_rate", "http_latency_p95_ms"}
    for spec in defaults.DEFAULT_RULES:
        if spec["key"] in defaults.UPSTREAM_ANTI_FLAP:
            continue  # a check's grace period / a monitor's confirmation, then a ping resolves at once
        assert spec["keep_firing_minutes"] or spec["resolve_threshold"] is not None, spec["name"]
        if spec["metric"] in rates:
            assert spec["min_samples"] >= 20, spec["name"]


def test_a_hovering_memory_gauge_pages_once_with_the_defaults_and_flaps_without_them():
    call_command("setup_defaults", stdout=StringIO())
    memory = AlertRule.objects.get(default_key="memory_used_percent")
    hover_memory_and_evaluate(memory)
    assert notifications(memory) == ["fired"]

    AlertTransition.objects.all().delete()
    memory.alerts.all().delete()
    AlertRule.objects.filter(pk=memory.pk).update(keep_firing_minutes=0, resolve_threshold=None, last_evaluated_at=None)
    from metrics.models import MetricSample

    MetricSample.objects.all().delete()
    hover_memory_and_evaluate(memory)
    assert notifications(memory).count("fired") >= 3


def test_a_five_minute_burst_of_ai_errors_pages_critical_and_resolves_soon_after():
    call_command("setup_defaults", stdout=StringIO())
    burst = AlertRule.objects.get(default_key="ai_error_rate_burst")
    assert (burst.window_minutes, burst.critical_threshold, burst.min_samples) == (5, 20, 20)
    now = timezone.now()
    ai_calls(50, errors=20, at=now - 3 * MINUTE)  # 40 % errors
    assert [t.reason for t in evaluate_rule(burst, now)] == ["fired"]
    assert burst.alerts.get().severity == "critical"
    # 5 minutes later the burst has left the window; 5 more clear minutes resolve it.
    ai_calls(50, at=now + 4 * MINUTE)
    reasons = []
    for m in range(6, 13):
        reasons += [t.reason for t in evaluate_rule(AlertRule.objects.get(pk=burst.pk), now + m * MINUTE)]
    assert reasons == ["resolved"]


def test_setup_defaults_brings_unedited_old_defaults_up_to_date_and_keeps_edited_ones():
    call_command("setup_defaults", stdout=StringIO())
    old_fields = defaults.LEGACY_FIELDS
    for key, edited in (("memory_used_percent", False), ("cpu_percent", True)):
        rule = AlertRule.objects.get(default_key=key)
        values = {f: getattr(rule, f) for f in defaults.FIELDS} | {"keep_firing_minutes": 0, "resolve_threshold": None}
        if edited:
            values["warning_threshold"] = 95
        AlertRule.objects.filter(pk=rule.pk).update(
            keep_firing_minutes=0,
            resolve_threshold=None,
            warning_threshold=values["warning_threshold"],
            # a fingerprint as the installs before anti-flap stored it (without those fields)
            default_fingerprint=defaults.fingerprint(
                {**values, "warning_threshold": rule.warning_threshold}, old_fields
            ),
        )
    out = StringIO()
    call_command("setup_defaults", stdout=out)
    memory = AlertRule.objects.get(default_key="memory_used_percent")
    assert (memory.keep_firing_minutes, memory.resolve_threshold) == (10, 70)
    cpu = AlertRule.objects.get(default_key="cpu_percent")
    assert (cpu.warning_threshold, cpu.keep_firing_minutes) == (95, 0)
    assert "'CPU': kept (edited by an admin)" in out.getvalue()
    call_command("setup_defaults", stdout=StringIO())
    assert AlertRule.objects.count() == len(defaults.DEFAULT_RULES)
