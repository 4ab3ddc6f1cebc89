"""Stats over 5,000,000 stored AI calls: the 24 h window grouped by model, from hourly rollups.

Rows are made in SQL (INSERT ... SELECT generate_series) in a database of their own: 30 days,
40 functions each bound to one of 6 models, 5 tenants, 3 % errors, log-normal durations. The
hourly rollups are then backfilled by the same code beat runs (ailogs.rollup.run). Measured:
the stats endpoint (window=24h, group_by=model) through Django in-process, the same answer
from raw rows with percentile_cont for comparison, and the percentile error of the rollups.

Env: AILOGS_BENCH_ROWS (default 5,000,000).
"""

import os
import statistics
import time
from datetime import timedelta

from bench import _ailogs_common as common

DB = "ailogs_bench_stats"
ROWS = int(os.environ.get("AILOGS_BENCH_ROWS", "5000000"))
CHUNK = 1_000_000
MODELS = "ARRAY['gpt-4o-mini','gpt-4o','claude-sonnet-4-20250514','gemini-2.5-flash','mistral-large-latest','o3']"
PROVIDERS = "ARRAY['openai','openai','anthropic','google','mistral','openai']"

GENERATE = f"""
INSERT INTO ailogs_aicall (timestamp, function, provider, model, status, duration_ms, prompt_tokens,
    completion_tokens, total_tokens, cost_usd, cost_source, input_hash, output_preview, error_message,
    user_id, session_id, tenant, actor_type, trace_id, metadata)
SELECT now() - interval '30 days' + (i::float8 / %(rows)s) * interval '30 days',
    'function_' || (i %% 40), ({PROVIDERS})[(i %% 40) %% 6 + 1], ({MODELS})[(i %% 40) %% 6 + 1],
    CASE WHEN random() < 0.03 THEN 'error' ELSE 'success' END,
    exp(6 + 0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())),
    500 + i %% 700, 80 + i %% 300, 580 + i %% 700 + i %% 300, 0.0004 + (i %% 100) / 100000.0, 'computed',
    md5(i::text) || md5((i + 1)::text), 'A short preview of the answer', '', 'user-' || (i %% 1000),
    'session-' || (i %% 20000), 'tenant-' || ((i / 7) %% 5), 'user', '', '{{}}'
FROM generate_series(%(start)s, %(stop)s) AS i
"""


def generate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ailogs_aicall, ailogs_aicallhourly, ailogs_rollupstate")
        for start in range(1, ROWS + 1, CHUNK):
            began = time.perf_counter()
            cursor.execute(GENERATE, {"rows": ROWS, "start": start, "stop": min(start + CHUNK - 1, ROWS)})
            print(
                f"  inserted rows {start:,}..{min(start + CHUNK - 1, ROWS):,} in {time.perf_counter() - began:.1f} s",
                flush=True,
            )
        cursor.execute("ANALYZE ailogs_aicall")


def backfill() -> None:
    """Rebuild every hourly rollup from scratch with the code beat runs."""
    from django.db import connection

    from ailogs import rollup

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ailogs_aicallhourly, ailogs_rollupstate")
    began = time.perf_counter()
    result = rollup.run()
    print(f"  rollup backfill: {result['hours']} hours in {time.perf_counter() - began:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ailogs_aicallhourly")


def fresh_enough() -> bool:
    from django.db.models import Max
    from django.utils import timezone

    from ailogs.models import AiCall

    newest = AiCall.objects.aggregate(m=Max("timestamp"))["m"]
    return bool(newest and newest > timezone.now() - timedelta(hours=3) and AiCall.objects.count() == ROWS)


def timed(fn, runs: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        times.append(1000 * (time.perf_counter() - began))
    return statistics.median(times), result


def exact_by_model(since, until) -> dict:
    from ailogs.models import AiCall
    from monitoring_site.lib.percentiles import grouped_percentiles

    return grouped_percentiles(AiCall.objects.filter(timestamp__gte=since, timestamp__lt=until), "model", "duration_ms")


def main() -> None:
    common.setup_django(DB)
    from django.utils import timezone
    from rest_framework.test import APIClient

    from ailogs import queries, rollup
    from monitoring_site.models import ApiKey

    print(f"machine: {common.machine()}, {ROWS:,} rows over 30 days")
    if fresh_enough():
        print("  reusing the generated raw rows (newest < 3 h old)")
    else:
        generate()
    backfill()
    _, key = ApiKey.issue("bench-stats", ["ailogs:read"], rate_limit_per_minute=10**9)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    def endpoint(window):
        response = client.get("/api/v1/ai-logs/stats/", {"window": window, "group_by": "model"})
        assert response.status_code == 200, response.content
        return response.json()

    ms_24h, body = timed(lambda: endpoint("24h"))
    ms_30d, _ = timed(lambda: endpoint("30d"), runs=3)
    ms_1h, _ = timed(lambda: endpoint("1h"))
    print(
        f"stats endpoint 24h by model (rollups + raw edges): median {ms_24h:.0f} ms; 30d: {ms_30d:.0f} ms; 1h exact from raw: {ms_1h:.0f} ms"
    )
    until = timezone.now()
    since = until - timedelta(hours=24)
    ms_exact, exact = timed(lambda: exact_by_model(since, until), runs=1)
    grouped = queries.grouped_stats(since, until, "model")
    errors = [
        abs(grouped[m]["duration_ms"][k] - v) / v
        for m, values in exact.items()
        for k, v in zip(("p50", "p95", "p99"), values, strict=True)
    ]
    print(
        f"same percentiles from raw rows (percentile_cont, 24h, by model): {ms_exact:.0f} ms; rollup percentiles max relative error {100 * max(errors):.2f} %"
    )
    ms_roll, _ = timed(rollup.run, runs=3)
    print(
        f"incremental rollup run with nothing new: {ms_roll:.0f} ms; groups in the 24h answer: {len(body['groups'])}, calls {body['count']:,}"
    )
    print(f"load after: {common.machine()}")
