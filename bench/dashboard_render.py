"""Server time of every dashboard page and range over 5,000,000 AI calls and 5,000,000 metric
samples (PostgreSQL), cold (cache emptied), warm and stale, also filtered to one tenant. Data is
generated in SQL once into a dedicated database (server-side INSERT ... SELECT, 1M rows per
statement) and reused by later runs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_dashboard_bench python -m bench dashboard_render

Env: DASHBOARD_BENCH_AI_CALLS (5,000,000), DASHBOARD_BENCH_PAGES / _RANGES (comma lists, default
every tab and range), DASHBOARD_BENCH_RUNS (2), DASHBOARD_BENCH_TENANT (acme; "" skips the tenant
rows), DASHBOARD_BENCH_SECTIONS=1 (also each section's cold time at 30 days: where the time goes),
DASHBOARD_BENCH_FORGET_COSTS=1 (cold views without the sections' last build times either),
DASHBOARD_BENCH_BACKFILL=1 (also rebuild the AI rollups from scratch, timed against one scan of
the same rows).
"""

import os
import statistics
import subprocess
import time

AI_CALLS = int(os.environ.get("DASHBOARD_BENCH_AI_CALLS", "5000000"))
METRIC_SAMPLES = 5_000_000
CHUNK = 1_000_000
PAGES = [p for p in os.environ.get("DASHBOARD_BENCH_PAGES", "overview,ai,system,feedback,alerts,usage").split(",") if p]
RANGES = os.environ.get("DASHBOARD_BENCH_RANGES", "1h,24h,7d,30d").split(",")
RUNS = int(os.environ.get("DASHBOARD_BENCH_RUNS", "2"))
TENANT = os.environ.get("DASHBOARD_BENCH_TENANT", "acme")
FORGET_COSTS = os.environ.get("DASHBOARD_BENCH_FORGET_COSTS") == "1"
TENANT_PAGES = ("overview", "ai", "usage")  # dashboard.views.TENANT_TABS


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monitoring_site.settings")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True)  # exists: fine
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


AI_SQL = """
INSERT INTO ailogs_aicall (timestamp, function, provider, model, status, duration_ms, prompt_tokens,
  completion_tokens, total_tokens, cost_usd, cost_source, input_hash, output_preview, error_message,
  user_id, session_id, tenant, actor_type, trace_id, metadata)
SELECT ts, (ARRAY['summarize','classify','chat','extract','translate'])[1 + i %% 5], 'openai',
  (ARRAY['gpt-4o','gpt-4o-mini','claude-3-5-sonnet','llama-3-70b'])[1 + i %% 4],
  CASE WHEN i %% 53 = 0 THEN 'error' WHEN i %% 171 = 0 THEN 'timeout' ELSE 'success' END,
  40 + random() * random() * 2500, 100 + i %% 900, 20 + i %% 400, 120 + i %% 900 + i %% 400,
  CASE WHEN i %% 97 = 0 THEN NULL ELSE (120 + i %% 1300) * 0.000002 END,
  CASE WHEN i %% 97 = 0 THEN 'unpriced' ELSE 'computed' END,
  md5((i %% 300000)::text), '', CASE WHEN i %% 53 = 0 THEN 'rate limited by provider' WHEN i %% 171 = 0 THEN 'timed out' ELSE '' END,
  'u' || (i %% 5000), 's' || (i %% 60000), (ARRAY['acme','globex','initech'])[1 + i %% 3],
  (ARRAY['user','agent','system'])[1 + i %% 3], '', '{}'::jsonb
FROM (SELECT i, now() - random() * interval '30 days' AS ts FROM generate_series(%(first)s, %(last)s) AS i) AS g
"""

METRIC_SQL = """
INSERT INTO metrics_metricsample (name, type, value, unit, tags, source, route, timestamp)
SELECT (ARRAY['system_cpu_percent','system_memory_used_percent','system_disk_free_percent','db_roundtrip_ms',
  'celery_queue_depth','celery_task_duration_seconds','active_sessions','app_custom_gauge'])[1 + i %% 8],
  'gauge', random() * 100, '',
  CASE i %% 8 WHEN 4 THEN '{"queue": "celery"}'::jsonb WHEN 5 THEN '{"task": "ailogs.rollup"}'::jsonb ELSE '{}'::jsonb END,
  'bench', '', now() - random() * interval '30 days'
FROM generate_series(1, %(n)s) AS i
"""

REQUEST_SQL = """
INSERT INTO metrics_requestminute (minute, route, method, status_class, count, duration_sum_ms, duration_min_ms,
  duration_max_ms, histogram, process)
SELECT date_trunc('minute', now()) - m * interval '1 minute', r, 'GET', c, 20, 20 * d, d / 2, d * 3,
  jsonb_build_object('p', jsonb_build_object(ceil(ln(d) / %(gamma)s)::int::text, 20), 'n', '{}'::jsonb, 'z', 0), 'bench'
FROM generate_series(1, 43200) AS m, unnest(ARRAY['api/v1/ai-logs/', 'api/v1/metrics/', 'admin/']) AS r,
  unnest(ARRAY['2xx', '4xx', '5xx']) AS c, LATERAL (SELECT 20 + random() * 200 AS d) AS x
WHERE c = '2xx' OR m %% 7 = 0
"""


def generate() -> None:
    from django.db import connection

    from ailogs.models import AiCall
    from metrics.models import MetricSample

    if AiCall.objects.count() == AI_CALLS and MetricSample.objects.count() >= METRIC_SAMPLES:
        print("data already generated")
        rebuild_ai_rollups_if_stale()
        return
    from django.utils import timezone

    from ailogs import partitions as ai_partitions
    from metrics.partitions import ensure_partitions
    from monitoring_site.lib.histogram import _LOG_GAMMA

    ensure_partitions(timezone.now().date(), 32, 1)
    ai_partitions.CALLS.ensure(timezone.now().date(), 32, 1)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE ailogs_aicall, ailogs_aicallhourly, ailogs_rollupstate, ailogs_aicallsessionday, ailogs_aicallactorday, ailogs_aicallsessionblock, ailogs_aicallerrorday, metrics_metricsample, metrics_metricrollup, metrics_rollupbucket, metrics_requestminute"
        )
        steps = [
            ("AI calls", AI_SQL, {"first": f, "last": min(f + CHUNK - 1, AI_CALLS)})
            for f in range(1, AI_CALLS + 1, CHUNK)
        ]
        steps += [
            ("metric samples", METRIC_SQL, {"n": METRIC_SAMPLES}),
            ("request minutes", REQUEST_SQL, {"gamma": _LOG_GAMMA}),
        ]
        for label, sql, params in steps:
            started = time.perf_counter()
            cursor.execute(sql, params)
            print(f"inserted {cursor.rowcount:,} {label} in {time.perf_counter() - started:.0f} s", flush=True)
        cursor.execute("ANALYZE")
    generate_alerts_and_feedback()
    roll_up()


def generate_alerts_and_feedback() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from alerts.models import Alert, AlertRule, AlertTransition
    from feedback.models import Feedback

    now = timezone.now()
    rule, _ = AlertRule.objects.get_or_create(
        name="bench: AI error rate",
        defaults={"metric": "ai_error_rate", "warning_threshold": 1, "critical_threshold": 5},
    )
    for i in range(300):
        fired = now - timedelta(hours=i * 2.4)
        alert = Alert.objects.create(
            rule=rule,
            severity="critical" if i % 3 else "warning",
            state="resolved",
            value=6,
            threshold=5,
            started_at=fired,
            fired_at=fired,
            resolved_at=fired + timedelta(minutes=3 + i % 9),
        )
        AlertTransition.objects.bulk_create(
            [
                AlertTransition(
                    alert=alert, from_state="ok", to_state="firing", reason="fired", severity=alert.severity, at=fired
                ),
                AlertTransition(
                    alert=alert,
                    from_state="firing",
                    to_state="resolved",
                    reason="resolved",
                    severity=alert.severity,
                    at=alert.resolved_at,
                ),
            ]
        )
    Feedback.objects.bulk_create(
        Feedback(
            message=f"bench feedback {i}",
            category=["bug", "feature", "question", "general"][i % 4],
            priority=["low", "medium", "high"][i % 3],
            status=["pending", "reviewed", "resolved"][i % 3],
            message_hash=str(i),
        )
        for i in range(5000)
    )


def rebuild_ai_rollups_if_stale() -> None:
    """Rollups written by an older ailogs (before rollup grains) are rebuilt from the raw rows."""
    from ailogs import rollup
    from ailogs.models import AiCallHourly, RollupState

    if AiCallHourly.objects.filter(grain=AiCallHourly.Grain.ALL).exists():
        return
    started = time.perf_counter()
    AiCallHourly.objects.all().delete()
    RollupState.objects.all().delete()
    rollup.run()
    print(f"AI rollups rebuilt in {time.perf_counter() - started:.0f} s", flush=True)


ANALYZE_ROLLUPS = (
    "ANALYZE ailogs_aicallhourly, ailogs_aicallsessionday, ailogs_aicallactorday, ailogs_aicallsessionblock, "
    "ailogs_aicallerrorday"
)


def roll_up() -> None:
    from django.core.management import call_command
    from django.db import connection

    from ailogs import rollup

    started = time.perf_counter()
    rollup.run()
    call_command("rollup_metrics", hours=24 * 31, verbosity=0)
    with connection.cursor() as cursor:  # as autovacuum would soon: the plans need row counts
        cursor.execute(ANALYZE_ROLLUPS)
    print(f"rollups built in {time.perf_counter() - started:.0f} s", flush=True)


def measure(client, page: str, range_key: str, tenant: str = "") -> tuple[float, float, float]:
    """Median server ms of (cold, warm, stale): cold = no section data cached (the sections' last
    build times, which beat's warm pass leaves in the cache and which order the build threads'
    work, are kept: DASHBOARD_BENCH_FORGET_COSTS=1 drops them too, as on a new install's very
    first view), warm = cached less than 30 s ago, stale = cached longer ago (answered from cache
    while a thread recomputes)."""
    from django.core.cache import cache

    from dashboard import ranges, sections, sources

    window = ranges.parse({"range": range_key})
    costs = [sections.cost_key(s.key, window) for s in sections.TABS[page].sections]

    url = "/admin/" if page == "overview" else f"/admin/dashboard/{page}/"
    params = {"range": range_key, **({"tenant": tenant} if tenant else {})}
    timings: dict[str, list[float]] = {"cold": [], "warm": [], "stale": []}
    if not FORGET_COSTS and len(cache.get_many(costs)) < len(costs):
        client.get(url, params)  # as beat's warm pass would have: the build times become known
    for _ in range(RUNS):
        kept = {} if FORGET_COSTS else cache.get_many(costs)
        cache.clear()
        cache.set_many(kept, sections.COST_SECONDS)
        for kind in timings:
            sources.FRESH_SECONDS = 0 if kind == "stale" else 30
            started = time.perf_counter()
            response = client.get(url, params)
            timings[kind].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        sources._refresher.submit(lambda: None).result()  # let the background refresh finish
    sources.FRESH_SECONDS = 30
    return tuple(statistics.median(timings[k]) for k in ("cold", "warm", "stale"))


def section_times(range_key: str = "30d", tenant: str = "") -> None:
    """Each section's cold build time (cache emptied before each), slowest first per tab."""
    from django.core.cache import cache

    from dashboard import ranges
    from dashboard.sections import TABS

    window = ranges.parse({"range": range_key, "tenant": tenant})
    print(f"\nsections, {range_key}{' tenant ' + tenant if tenant else ''}, cold ms (load {os.getloadavg()[0]:.2f}):")
    for tab in TABS.values():
        if tenant and tab.key not in TENANT_PAGES:
            continue
        for section in tab.sections:
            cache.clear()
            started = time.perf_counter()
            section.build(window)
            print(f"  {tab.key:9} {section.key:16} {(time.perf_counter() - started) * 1000:8.1f}", flush=True)


def backfill() -> None:
    """The AI rollup backfill from scratch (what a new install or a rebuild costs), next to one
    plain scan of the same rows (SELECT count/sum over the whole table) as the floor."""
    from django.db import connection

    from ailogs import rollup

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("SELECT count(*), sum(duration_ms) FROM ailogs_aicall")
        scan = time.perf_counter() - started
        # As on a new install: empty tables (a DELETE would leave every old row's index entries
        # to step over until a VACUUM, which this machine's PostgreSQL never runs by itself).
        cursor.execute(f"TRUNCATE ailogs_rollupstate, ailogs_aicallhourly, {', '.join(ROLLUP_TABLES)}")
    load = os.getloadavg()[0]
    spent = _time_rollup_steps()
    started = time.perf_counter()
    result = rollup.run()
    took = time.perf_counter() - started
    print(
        f"AI rollup backfill of {AI_CALLS:,} calls: {result['hours']} hours in {took:.1f} s "
        f"(one scan of the table: {scan:.1f} s, ratio {took / scan:.1f}; load {load:.2f} -> {os.getloadavg()[0]:.2f})",
        flush=True,
    )
    ranges = spent.pop("hour ranges") + spent.pop("day ranges")
    nested = ("sketches", "session/actor/error days", "six-hour rows")  # run inside those ranges
    spent["hour and day rows"] = ranges - sum(spent[name] for name in nested)
    print(
        f"  connection-seconds ({rollup.BACKFILL_WORKERS} connections): "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in spent.items())
    )
    with connection.cursor() as cursor:
        cursor.execute(ANALYZE_ROLLUPS)


def _time_rollup_steps() -> dict[str, float]:
    """Wrap the rollup's steps with timers: {step: seconds} filled while it runs, summed over the
    connections it runs on (the hour and day ranges hold the other steps but the blocks)."""
    from ailogs import rollup, sketches

    spent: dict[str, float] = {}
    steps = {
        "hour ranges": (rollup, "rebuild_hour_range"),
        "day ranges": (rollup, "rebuild_day_range"),
        "sketches": (sketches, "rebuild_days"),
        "session/actor/error days": (rollup, "rebuild_session_days"),
        "six-hour rows": (rollup, "rebuild_six_hours"),
        "session blocks": (rollup, "rebuild_session_blocks"),
    }

    def timer(name, inner):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started

        return timed

    for name, (module, attribute) in steps.items():
        spent[name] = 0.0
        setattr(module, attribute, timer(name, getattr(module, attribute)))
    return spent


ROLLUP_TABLES = (
    "ailogs_aicallsketch",
    "ailogs_aicallsessionday",
    "ailogs_aicallactorday",
    "ailogs_aicallsessionblock",
    "ailogs_aicallerrorday",
)  # beside ailogs_aicallhourly, emptied before a backfill


def main() -> None:
    setup_django()
    generate()
    from django.contrib.auth import get_user_model
    from django.test import Client

    if os.environ.get("DASHBOARD_BENCH_BACKFILL") == "1":
        backfill()
    admin, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(admin)
    print(
        f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min), {os.cpu_count()} cores; {AI_CALLS:,} AI calls"
    )
    if os.environ.get("DASHBOARD_BENCH_SECTIONS") == "1":
        section_times()
        if TENANT:
            section_times(tenant=TENANT)
        print()
    print(f"{'page':10} {'range':>5} {'tenant':>7} {'cold ms':>9} {'warm ms':>9} {'stale ms':>9}")
    for page in PAGES:
        for range_key in RANGES:
            for tenant in ("", TENANT) if TENANT and page in TENANT_PAGES else ("",):
                cold, warm, stale = measure(client, page, range_key, tenant)
                print(f"{page:10} {range_key:>5} {tenant or '-':>7} {cold:9.1f} {warm:9.1f} {stale:9.1f}", flush=True)
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")
