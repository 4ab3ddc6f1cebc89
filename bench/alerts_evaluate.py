"""One evaluation of every default alert rule over 1,000,000 AI calls and 5,000,000 metric samples
(plus 30 days of per-minute HTTP rows). Target: under 2 s.

Data is generated in SQL (generate_series) in a database of its own, ALERTS_BENCH_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/alerts_bench), spread over the last 30 days, and kept
between runs when it is still fresh (ALERTS_BENCH_REGENERATE=1 forces new data).
"""

import json
import os
import statistics
import time

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/alerts_bench"
AI_CALLS = 1_000_000
SAMPLES = 5_000_000
DAYS = 30
RUNS = 5

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


def _fresh() -> bool:
    """Reuse the data when it has the right size and its newest rows are under 10 minutes old."""
    if os.environ.get("ALERTS_BENCH_REGENERATE"):
        return False
    with _cursor() as cursor:
        cursor.execute("SELECT count(*), now() - max(timestamp) < interval '10 minutes' FROM ailogs_aicall")
        calls, recent = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM metrics_metricsample")
        samples = cursor.fetchone()[0]
    return calls == AI_CALLS and samples == SAMPLES and bool(recent)


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


# Newest row one second ago, oldest 30 days back; 2 % errors, some timeouts, three models.
AI_CALL_SQL = """
INSERT INTO ailogs_aicall (event_id, timestamp, function, provider, model, status, duration_ms,
    prompt_tokens, completion_tokens, total_tokens, cost_usd, cost_source, input_hash,
    output_preview, error_message, user_id, session_id, tenant, actor_type, trace_id, metadata)
SELECT NULL, now() - interval '1 second' - (i * interval '30 days' / %s),
    (ARRAY['summarise', 'classify', 'chat', 'embed'])[1 + i %% 4], 'openai',
    (ARRAY['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet'])[1 + i %% 3],
    CASE WHEN i %% 50 = 0 THEN 'error' WHEN i %% 97 = 0 THEN 'timeout' ELSE 'success' END,
    80 + (i::bigint * 7919) %% 2000, 200 + i %% 300, 50 + i %% 200, 250 + i %% 300 + i %% 200,
    0.0005 + (i %% 100) / 100000.0, 'computed', '', '', CASE WHEN i %% 50 = 0 THEN 'rate limited' ELSE '' END,
    'u' || (i %% 5000), 's' || (i %% 20000), (ARRAY['acme', 'globex', 'initech'])[1 + i %% 3], 'user', '', '{}'
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
    if not _fresh():
        generate()
    _install_rules()
    _evaluate()


def generate() -> None:
    from django.utils import timezone

    from metrics import partitions

    partitions.ensure_partitions(timezone.now().date(), days_back=DAYS + 1, days_ahead=1)
    names = [n for n, _ in SERIES]
    tags = [json.dumps(t) for _, t in SERIES]
    with _cursor() as cursor:
        cursor.execute("TRUNCATE ailogs_aicall, metrics_metricsample, metrics_requestminute")
        # The sample SQL takes each array twice (element and cardinality).
        _timed("AI calls", cursor, AI_CALL_SQL, [AI_CALLS, AI_CALLS])
        _timed("metric samples", cursor, SAMPLE_SQL, [names, names, tags, tags, SAMPLES, SAMPLES])
        _timed("request minutes", cursor, REQUEST_SQL, [_histogram(), DAYS * 24 * 60])
        cursor.execute("ANALYZE ailogs_aicall")
        cursor.execute("ANALYZE metrics_metricsample")
        cursor.execute("ANALYZE metrics_requestminute")


def _install_rules() -> None:
    from io import StringIO

    from alerts import defaults
    from alerts.models import Alert, AlertRule

    Alert.objects.all().delete()
    AlertRule.objects.all().delete()
    defaults.install(StringIO())
    print(f"{AlertRule.objects.count()} default rules", flush=True)


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
    per_rule = _per_rule()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"PostgreSQL {version}, {os.cpu_count()} CPUs, load {load}")
    print(
        f"evaluate_all over {AI_CALLS:,} AI calls + {SAMPLES:,} samples: median {statistics.median(timings):.3f} s, max {max(timings):.3f} s ({RUNS} runs; {transitions} transitions)"
    )
    for name, seconds in per_rule:
        print(f"  {name:<36} {seconds * 1000:8.1f} ms")


def _per_rule() -> list[tuple[str, float]]:
    from datetime import timedelta

    from django.utils import timezone

    from alerts import catalog
    from alerts.models import AlertRule

    rows = []
    for rule in AlertRule.objects.order_by("name"):
        now = timezone.now()
        started = time.perf_counter()
        catalog.measure(rule, now - timedelta(minutes=rule.window_minutes), now)
        rows.append((rule.name, time.perf_counter() - started))
    return rows
