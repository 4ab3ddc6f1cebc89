"""One alert evaluation cycle: N rules (a realistic mix over 30 tenant/model filters) over AI
calls in the last hour and metric samples. Target: 500 rules over 1,000,000 calls + 5,000,000
samples in under 2 s per cycle on PostgreSQL.

    python -m bench alerts_evaluate                       # 500 rules, 1M calls, 5M samples
    python bench/alerts_evaluate.py --rules 100 --ai-calls 100000 [--samples N] [--compare]

(or ALERTS_BENCH_RULES / _AI_CALLS / _SAMPLES). Data is generated in SQL (generate_series) in a
database of its own, ALERTS_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/alerts_bench):
AI calls spread over the last hour, samples over the last 30 days; kept between runs while the
counts match and the newest call (sample) is under 5 (15) minutes old (ALERTS_BENCH_REGENERATE=1 forces new
data). --compare also times the rules one at a time (the per-rule path before issue 12).
"""

import argparse
import json
import os
import statistics
import sys
import time

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/alerts_bench"
RULES = int(os.environ.get("ALERTS_BENCH_RULES", "500"))
AI_CALLS = int(os.environ.get("ALERTS_BENCH_AI_CALLS", "1000000"))
SAMPLES = int(os.environ.get("ALERTS_BENCH_SAMPLES", "5000000"))
DAYS = 30
RUNS = 5
COMPARE = bool(os.environ.get("ALERTS_BENCH_COMPARE"))
TENANTS = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka", "tyrell", "cyberdyne"]
MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet"]

# (metric name, tags) in rotation: what the collectors write, one sample each per turn.
SERIES = [
    ("system_cpu_percent", {}),
    ("system_memory_used_percent", {}),
    ("system_disk_free_percent", {}),
    ("db_roundtrip_ms", {}),
    ("db_connection_failures", {}),
    ("celery_queue_depth", {"queue": "celery"}),
    ("celery_queue_depth", {"queue": "notifications"}),
    ("celery_task_duration_seconds", {"task": "ailogs.tasks.rollup"}),
    ("celery_task_duration_seconds", {"task": "alerts.tasks.evaluate_alerts"}),
    ("storage_used_bytes", {"kind": "database"}),
]


def setup() -> None:
    url = os.environ.get("ALERTS_BENCH_DATABASE_URL", DEFAULT_URL)
    _create_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monitoring_site.settings")
    os.environ.setdefault("METRICS_REQUEST_FLUSH_SECONDS", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _fresh_calls() -> bool:
    """Reuse the calls when the count matches and the newest is under 5 minutes old."""
    if os.environ.get("ALERTS_BENCH_REGENERATE"):
        return False
    with _cursor() as cursor:
        cursor.execute("SELECT count(*), now() - max(timestamp) < interval '5 minutes' FROM ailogs_aicall")
        calls, recent = cursor.fetchone()
    return calls == AI_CALLS and bool(recent)


def _fresh_samples() -> bool:
    if os.environ.get("ALERTS_BENCH_REGENERATE"):
        return False
    with _cursor() as cursor:
        cursor.execute("SELECT count(*), now() - max(timestamp) < interval '15 minutes' FROM metrics_metricsample")
        samples, recent = cursor.fetchone()
    return samples == SAMPLES and bool(recent)


def _cursor():
    from django.db import connection

    return connection.cursor()


def _timed(label: str, cursor, sql: str, params) -> None:
    started = time.perf_counter()
    cursor.execute(sql, params)
    print(f"generated {label}: {cursor.rowcount:,} rows in {time.perf_counter() - started:.1f} s", flush=True)


def _histogram() -> str:
    from monitoring_site.lib.histogram import LogHistogram

    return json.dumps(LogHistogram.of([20 + i * 3 for i in range(40)]).to_json())


# Newest row one second ago, oldest an hour back; 2 % errors, some timeouts, 10 tenants x 3 models.
AI_CALL_SQL = """
INSERT INTO ailogs_aicall (event_id, timestamp, function, provider, model, status, duration_ms,
    prompt_tokens, completion_tokens, total_tokens, cost_usd, cost_source, input_hash,
    output_preview, error_message, user_id, session_id, tenant, actor_type, trace_id, metadata)
SELECT NULL, now() - interval '1 second' - (i * interval '59 minutes' / %s),
    (ARRAY['summarise', 'classify', 'chat', 'embed'])[1 + i %% 4], 'openai',
    (%s::text[])[1 + i %% 3],
    CASE WHEN i %% 50 = 0 THEN 'error' WHEN i %% 97 = 0 THEN 'timeout' ELSE 'success' END,
    80 + (i::bigint * 7919) %% 2000, 200 + i %% 300, 50 + i %% 200, 250 + i %% 300 + i %% 200,
    0.0005 + (i %% 100) / 100000.0, 'computed', '', '', CASE WHEN i %% 50 = 0 THEN 'rate limited' ELSE '' END,
    'u' || (i %% 5000), 's' || (i %% 20000), (%s::text[])[1 + (i / 3) %% 10], 'user', '', '{}'
FROM generate_series(1, %s) AS i
"""

SAMPLE_SQL = """
INSERT INTO metrics_metricsample (name, type, value, unit, tags, source, route, timestamp, event_id)
SELECT (%s::text[])[1 + i %% cardinality(%s::text[])], 'gauge', (i::bigint * 7919) %% 100, '',
    ((%s::text[])[1 + i %% cardinality(%s::text[])])::jsonb, 'collector', '',
    now() - interval '1 second' - (i * interval '30 days' / %s), NULL
FROM generate_series(1, %s) AS i
"""

REQUEST_SQL = """
INSERT INTO metrics_requestminute (minute, route, method, status_class, count, duration_sum_ms,
    duration_min_ms, duration_max_ms, histogram, process)
SELECT date_trunc('minute', now()) - m * interval '1 minute', r.route, 'GET', s.status_class, s.n,
    s.n * 80.0, 20, 137, %s::jsonb, 'bench'
FROM generate_series(0, %s - 1) AS m
CROSS JOIN (VALUES ('/api/v1/ai-logs/'), ('/api/v1/metrics/'), ('/admin/')) AS r(route)
CROSS JOIN (VALUES ('2xx', 120), ('4xx', 3), ('5xx', 1)) AS s(status_class, n)
"""


def main() -> None:
    setup()
    if not _fresh_samples():
        generate_samples()
    if not _fresh_calls():
        generate_calls()
    _install_rules()
    _evaluate()


def generate_calls() -> None:
    with _cursor() as cursor:
        cursor.execute("TRUNCATE ailogs_aicall, ailogs_aicallhourly")
        _timed("AI calls", cursor, AI_CALL_SQL, [AI_CALLS, MODELS, TENANTS, AI_CALLS])
        cursor.execute("ANALYZE ailogs_aicall")


def generate_samples() -> None:
    from django.utils import timezone

    from metrics import partitions

    partitions.ensure_partitions(timezone.now().date(), days_back=DAYS + 1, days_ahead=1)
    names = [n for n, _ in SERIES]
    tags = [json.dumps(t) for _, t in SERIES]
    with _cursor() as cursor:
        cursor.execute("TRUNCATE metrics_metricsample, metrics_requestminute")
        # The sample SQL takes each array twice (element and cardinality).
        _timed("metric samples", cursor, SAMPLE_SQL, [names, names, tags, tags, SAMPLES, SAMPLES])
        _timed("request minutes", cursor, REQUEST_SQL, [_histogram(), DAYS * 24 * 60])
        cursor.execute("ANALYZE metrics_metricsample")
        cursor.execute("ANALYZE metrics_requestminute")


# The mix beyond the defaults, in rotation: (metric, aggregation, window, filter kind, warning, critical).
MIX = [
    ("ai_error_rate", "", 5, "tenant+model", None, 20),
    ("ai_error_rate", "", 60, "tenant+model", 1, 5),
    ("ai_cost_usd", "", 60, "tenant", 100, None),
    ("ai_tokens", "", 60, "tenant+model", 1_000_000, None),
    ("ai_latency_p95_ms", "", 15, "model", 10_000, 30_000),
    ("ai_calls", "", 5, "tenant", 50_000, None),
    ("ai_latency_p95_ms", "", 15, "tenant+model", 10_000, None),
    ("ai_error_rate", "", 15, "tenant", 3, 10),
    ("metric:system_cpu_percent", "avg", 5, "", 90, None),
    ("queue_depth", "", 5, "queue", 100, 1_000),
    ("metric:celery_task_duration_seconds", "p95", 15, "task", 30, 60),
    ("memory_used_percent", "", 5, "", 75, 90),
]


def rule_mix(count: int) -> list[dict]:
    """The default rules, then the mix over 30 tenant/model pairs (10 tenants x 3 models)."""
    from alerts.defaults import DEFAULT_RULES, FIELDS

    rules = [{"name": spec["name"], **{f: spec[f] for f in FIELDS}} for spec in DEFAULT_RULES][:count]
    i = 0
    while len(rules) < count:
        metric, aggregation, window, kind, warning, critical = MIX[i % len(MIX)]
        turn = i // len(MIX)
        tenant, model = TENANTS[turn % 10], MODELS[(turn // 10) % 3]
        filters = {
            "tenant+model": {"tenant": tenant, "model": model},
            "tenant": {"tenant": tenant},
            "model": {"model": model},
            "queue": {"tags": {"queue": ["celery", "notifications"][turn % 2]}},
            "task": {"tags": {"task": "ailogs.tasks.rollup"}},
            "": {},
        }[kind]
        rules.append(
            {
                "name": f"mix {i} {metric} {window}m {json.dumps(filters, sort_keys=True)}",
                "metric": metric,
                "aggregation": aggregation,
                "filters": filters,
                "window_minutes": window,
                "warning_threshold": warning,
                "critical_threshold": critical,
                "min_samples": 20 if metric in ("ai_error_rate", "ai_latency_p95_ms") else 1,
                "keep_firing_minutes": 10,
            }
        )
        i += 1
    return rules


def _install_rules() -> None:
    from alerts.models import Alert, AlertRule

    Alert.objects.all().delete()
    AlertRule.objects.all().delete()
    AlertRule.objects.bulk_create([AlertRule(**spec) for spec in rule_mix(RULES)])
    ai = AlertRule.objects.filter(metric__startswith="ai_").count()
    print(f"{AlertRule.objects.count()} rules ({ai} on AI calls)", flush=True)


def _evaluate() -> None:
    from django.db import connection
    from django.utils import timezone

    from alerts import engine
    from alerts.models import AlertRule

    timings, transitions = [], 0
    for _ in range(RUNS):
        AlertRule.objects.update(last_evaluated_at=None)
        started = time.perf_counter()
        transitions += len(engine.evaluate_all(timezone.now()))
        timings.append(time.perf_counter() - started)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"PostgreSQL {version}, {os.cpu_count()} CPUs, load {load} (shared machine)")
    print(
        f"evaluate_all, {RULES} rules over {AI_CALLS:,} AI calls in the last hour + {SAMPLES:,} samples: "
        f"median {statistics.median(timings):.3f} s, max {max(timings):.3f} s ({RUNS} runs; {transitions} transitions)"
    )
    if COMPARE:
        started = time.perf_counter()
        _one_at_a_time()
        print(f"the same rules measured one at a time: {time.perf_counter() - started:.3f} s (measurement only)")


def _one_at_a_time() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from alerts import catalog
    from alerts.models import AlertRule

    now = timezone.now()
    for rule in AlertRule.objects.filter(enabled=True):
        catalog.measure(rule, now - timedelta(minutes=rule.window_minutes), now)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", type=int, default=RULES)
    parser.add_argument("--ai-calls", type=int, default=AI_CALLS)
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--compare", action="store_true", default=COMPARE)
    args = parser.parse_args()
    RULES, AI_CALLS, SAMPLES, COMPARE = args.rules, args.ai_calls, args.samples, args.compare
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
