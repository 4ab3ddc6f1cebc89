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
    "resolve_threshold",
    "for_minutes",
    "keep_firing_minutes",
    "min_samples",
    "enabled",
)
# What fingerprints covered before the anti-flap settings joined them: a rule installed then and
# never edited still matches on these, with the anti-flap fields at their old defaults.
LEGACY_FIELDS = tuple(f for f in FIELDS if f not in ("resolve_threshold", "keep_firing_minutes"))


def _rule(
    key,
    name,
    metric,
    window,
    comparator="gt",
    warning=None,
    critical=None,
    for_minutes=0,
    min_samples=1,
    keep_firing=0,
    resolve=None,
):
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
        "resolve_threshold": resolve,
        "for_minutes": for_minutes,
        "keep_firing_minutes": keep_firing,
        "min_samples": min_samples,
        "enabled": True,
    }


# Anti-flap (issue 12): every rule holds its alert open for `keep_firing` minutes of clear values
# (Prometheus' keep_firing_for) and gauges also need to pass a resolve threshold (hysteresis), so
# a value hovering around a threshold pages once instead of once per crossing. Rates need
# `min_samples` calls or requests, so 1 error out of 2 calls pages nobody.
DEFAULT_RULES = [
    _rule("ai_error_rate", "AI error rate", "ai_error_rate", 60, warning=1, critical=5, min_samples=20, keep_firing=15),
    # A burst: the hourly rule above only reaches warning and resolves an hour later (seeds 003, 004).
    _rule(
        "ai_error_rate_burst",
        "AI error rate burst (5 min)",
        "ai_error_rate",
        5,
        critical=20,
        min_samples=20,
        keep_firing=5,
        resolve=10,
    ),
    _rule(
        "ai_latency_p95_ms",
        "AI latency p95 (ms)",
        "ai_latency_p95_ms",
        15,
        warning=10_000,
        critical=30_000,
        min_samples=20,
        keep_firing=10,
        resolve=8_000,
    ),
    _rule("ai_tokens", "AI tokens per hour", "ai_tokens", 60, warning=1_000_000, keep_firing=15),
    _rule("ai_cost_usd", "AI cost per hour (USD)", "ai_cost_usd", 60, warning=100, keep_firing=15),
    _rule("queue_depth", "Queue depth", "queue_depth", 5, warning=100, critical=1_000, keep_firing=5, resolve=50),
    _rule(
        "queue_processing_time_p95_s",
        "Queue processing time p95 (s)",
        "queue_processing_time_p95_s",
        15,
        warning=30,
        critical=60,
        min_samples=5,
        keep_firing=10,
    ),
    _rule(
        "http_error_rate",
        "HTTP 5xx rate",
        "http_error_rate",
        5,
        critical=5,
        for_minutes=5,
        min_samples=20,
        keep_firing=5,
        resolve=2,
    ),
    _rule(
        "http_latency_p95_ms",
        "HTTP latency p95 (ms)",
        "http_latency_p95_ms",
        5,
        warning=2_000,
        min_samples=20,
        keep_firing=10,
        resolve=1_500,
    ),
    _rule(
        "memory_used_percent",
        "Memory used",
        "memory_used_percent",
        5,
        warning=75,
        critical=90,
        keep_firing=10,
        resolve=70,
    ),
    _rule("cpu_percent", "CPU", "cpu_percent", 5, warning=90, for_minutes=10, keep_firing=10, resolve=80),
    _rule(
        "disk_free_percent",
        "Disk free",
        "disk_free_percent",
        5,
        comparator="lt",
        warning=20,
        keep_firing=10,
        resolve=25,
    ),
    _rule("failed_logins", "Failed logins", "failed_logins", 10, warning=5, keep_firing=10),
    # 429s our API and widget gave (request metrics) plus login lockouts: scraping or abuse (seed 001).
    _rule(
        "rate_limited_requests",
        "Rate-limit hits burst",
        "rate_limited_requests",
        5,
        warning=50,
        critical=500,
        keep_firing=10,
    ),
    _rule(
        "db_connection_failures", "Database connection failures", "db_connection_failures", 5, critical=0, keep_firing=5
    ),
    # SPEC section 10: one alert per check / monitor (grouped), and the site's own health samples.
    # Their anti-flap is upstream (a check's grace period, a monitor's confirmation), and a ping
    # proves recovery: they resolve at the next evaluation (UPSTREAM_ANTI_FLAP below).
    _rule("check_down", "Check down", "check_down", 1, critical=0),
    _rule("monitor_down", "Uptime monitor down", "monitor_down", 1, critical=0),
    _rule("health_degraded", "Health degraded", "health_degraded", 3, critical=0, keep_firing=5),
    _rule("health_limited", "Health limited", "health_limited", 5, warning=0, keep_firing=5),
    # More starts in 15 minutes than a deploy makes (web workers + worker): a crash loop.
    {
        **_rule("process_restarts", "Process restarts", "metric:process_starts", 15, warning=5, keep_firing=15),
        "aggregation": "sum",
    },
]


# Default rules whose value is a state decided upstream, not a measurement hovering around a
# threshold: no keep-firing or hysteresis here (tests/alerts/test_defaults.py).
UPSTREAM_ANTI_FLAP = frozenset({"check_down", "monitor_down"})


def _normal(value):
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def fingerprint(values: dict, fields: tuple = FIELDS) -> str:
    normal = [_normal(values.get(f)) for f in fields]
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
    stored = {f: getattr(rule, f) for f in FIELDS}
    current = fingerprint(stored)
    if current != rule.default_fingerprint and not _unedited_legacy(stored, rule.default_fingerprint):
        return "kept (edited by an admin)"
    if current == fingerprint(values):
        return "unchanged"
    AlertRule.objects.filter(pk=rule.pk).update(default_fingerprint=fingerprint(values), **values)
    return "updated to the new default"


def _unedited_legacy(stored: dict, stored_fingerprint: str) -> bool:
    """Installed before anti-flap settings existed and left as installed: the new defaults apply."""
    untouched = stored["keep_firing_minutes"] == 0 and stored["resolve_threshold"] is None
    return untouched and fingerprint(stored, LEGACY_FIELDS) == stored_fingerprint
