"""`setup_defaults`: the default alert rules of SPEC section 6 (idempotent; edits are kept).

Each default rule remembers a fingerprint of the settings it was installed with. A rerun updates
a rule only while its fingerprint still matches (nobody edited it); an edited rule is left alone.
"""

import hashlib
import json

from alerts.models import AlertRule

FIELDS = (
    "metric",
    "aggregation",
    "filters",
    "window_minutes",
    "comparator",
    "warning_threshold",
    "critical_threshold",
    "for_minutes",
    "min_samples",
    "enabled",
)


def _rule(key, name, metric, window, comparator="gt", warning=None, critical=None, for_minutes=0, min_samples=1):
    return {
        "key": key,
        "name": name,
        "metric": metric,
        "aggregation": "",
        "filters": {},
        "window_minutes": window,
        "comparator": comparator,
        "warning_threshold": warning,
        "critical_threshold": critical,
        "for_minutes": for_minutes,
        "min_samples": min_samples,
        "enabled": True,
    }


DEFAULT_RULES = [
    _rule("ai_error_rate", "AI error rate", "ai_error_rate", 60, warning=1, critical=5, min_samples=20),
    _rule("ai_tokens", "AI tokens per hour", "ai_tokens", 60, warning=1_000_000),
    _rule("ai_cost_usd", "AI cost per hour (USD)", "ai_cost_usd", 60, warning=100),
    _rule("queue_depth", "Queue depth", "queue_depth", 5, warning=100, critical=1_000),
    _rule(
        "queue_processing_time_p95_s",
        "Queue processing time p95 (s)",
        "queue_processing_time_p95_s",
        15,
        warning=30,
        critical=60,
    ),
    _rule("http_error_rate", "HTTP 5xx rate", "http_error_rate", 5, critical=5, for_minutes=5, min_samples=20),
    _rule("http_latency_p95_ms", "HTTP latency p95 (ms)", "http_latency_p95_ms", 5, warning=2_000, min_samples=20),
    _rule("memory_used_percent", "Memory used", "memory_used_percent", 5, warning=75, critical=90),
    _rule("cpu_percent", "CPU", "cpu_percent", 5, warning=90, for_minutes=10),
    _rule("disk_free_percent", "Disk free", "disk_free_percent", 5, comparator="lt", warning=20),
    _rule("failed_logins", "Failed logins", "failed_logins", 10, warning=5),
    _rule("db_connection_failures", "Database connection failures", "db_connection_failures", 5, critical=0),
    # SPEC section 10: one alert per check / monitor (grouped), and the site's own health samples.
    _rule("check_down", "Check down", "check_down", 1, critical=0),
    _rule("monitor_down", "Uptime monitor down", "monitor_down", 1, critical=0),
    _rule("health_degraded", "Health degraded", "health_degraded", 3, critical=0),
    _rule("health_limited", "Health limited", "health_limited", 5, warning=0),
    # More starts in 15 minutes than a deploy makes (web workers + worker): a crash loop.
    {**_rule("process_restarts", "Process restarts", "metric:process_starts", 15, warning=5), "aggregation": "sum"},
]


def _normal(value):
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def fingerprint(values: dict) -> str:
    normal = [_normal(values.get(f)) for f in FIELDS]
    return hashlib.sha256(json.dumps(normal, sort_keys=True, default=str).encode()).hexdigest()


def install(stdout) -> None:
    for spec in DEFAULT_RULES:
        stdout.write(f"  alert rule {spec['name']!r}: {_install_one(spec)}")


def _install_one(spec: dict) -> str:
    values = {f: spec[f] for f in FIELDS}
    rule = AlertRule.objects.filter(default_key=spec["key"]).first()
    if rule is None:
        if AlertRule.objects.filter(name=spec["name"]).exists():
            return "skipped (a rule with this name exists)"
        AlertRule.objects.create(
            name=spec["name"], default_key=spec["key"], default_fingerprint=fingerprint(values), **values
        )
        return "created"
    current = fingerprint({f: getattr(rule, f) for f in FIELDS})
    if current != rule.default_fingerprint:
        return "kept (edited by an admin)"
    if current == fingerprint(values):
        return "unchanged"
    AlertRule.objects.filter(pk=rule.pk).update(default_fingerprint=fingerprint(values), **values)
    return "updated to the new default"
