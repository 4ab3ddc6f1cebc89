"""AI-log ingest at steady state: through the server `make run` starts, into a table already full.

The table is seeded once with AILOGS_STEADY_ROWS rows (default 10,000,000) spread over the last 30
days, generated server-side in time order (INSERT ... SELECT, 1M rows per statement), plus the
event-id keys of the dedup window; later runs reuse it (the database is kept). Then:

1. batch ingest: 500-event bodies with UUIDv7 ids (as our client sends) for AILOGS_BENCH_SECONDS,
   through the Procfile's `web` command line (gunicorn, 2 workers, access log, multiprocess
   Prometheus dir, Redis from REDIS_URL, DJANGO_DEBUG as `make run` sets it), and in the same run
   a raw psycopg COPY of the same rows into the same pre-filled table: the ratio is the figure;
2. retention: AILOGS_STEADY_PURGE_ROWS (default 2,500,000) rows seeded into days just past
   retention, purged by `ailogs.retention.purge` (time and WAL bytes), while batch ingest runs:
   p99 during the purge against p99 of the same load without it.

Env: AILOGS_STEADY_ROWS, AILOGS_STEADY_PURGE_ROWS (0 skips part 2), AILOGS_BENCH_SECONDS (10 per
phase), AILOGS_STEADY_ROUNDS (3 interleaved endpoint/COPY rounds),
AILOGS_BENCH_PORT (8101), AILOGS_STEADY_DB (ailogs_bench_steady), BENCH_DJANGO_DEBUG (true).
"""

import os
import signal
import subprocess
import threading
import time
import urllib.request
import uuid

from bench import _ailogs_common as common
from bench.ailogs_ingest import BATCH, load, raw_copy_rate_of, sample_event

DB = os.environ.get("AILOGS_STEADY_DB", "ailogs_bench_steady")
ROWS = int(os.environ.get("AILOGS_STEADY_ROWS", "10000000"))
PURGE_ROWS = int(os.environ.get("AILOGS_STEADY_PURGE_ROWS", "2500000"))
SECONDS = float(os.environ.get("AILOGS_BENCH_SECONDS", "10"))
PORT = int(os.environ.get("AILOGS_BENCH_PORT", "8101"))
CHUNK = 1_000_000
ROUNDS = int(os.environ.get("AILOGS_STEADY_ROUNDS", "3"))

# One row per g, in time order from `start` over `span`; the event_id is a UUIDv7 of that moment.
SEED = """
INSERT INTO ailogs_aicall (event_id, "timestamp", function, provider, model, status, duration_ms,
    prompt_tokens, completion_tokens, total_tokens, cost_usd, cost_source, input_hash, output_preview,
    error_message, user_id, session_id, tenant, actor_type, trace_id, metadata)
SELECT (lpad(to_hex((extract(epoch FROM ts) * 1000)::bigint), 12, '0') || '7' || substr(h, 1, 3) || '8'
        || substr(h, 4, 15))::uuid,
    ts, 'function_' || g %% 40, 'openai',
    (ARRAY['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'o3', 'unknown-model', 'gpt-4o-mini'])[g %% 6 + 1],
    CASE WHEN g %% 33 = 0 THEN 'error' ELSE 'success' END, 100 + (g * 37) %% 2000,
    500 + g %% 700, 80 + g %% 300, 580 + g %% 700 + g %% 300, 0.0004, 'computed', lpad(to_hex(g), 64, '0'),
    'A short preview of what the model answered, about fifty characters.', '', 'user-' || g %% 1000,
    'session-' || g %% 5000, 'tenant-' || g %% 5, '', 'trace-' || g, '{"region": "eu"}'
FROM (SELECT g, %(start)s::timestamptz + (g - %(first)s) * %(step)s::interval AS ts, md5(g::text) AS h
      FROM generate_series(%(first)s::bigint, %(last)s::bigint) g) s
"""


def seed(rows: int, start, span) -> None:
    """Insert `rows` calls evenly from start over span, 1M per transaction."""
    from django.db import connection, transaction

    step = span / rows
    for first in range(1, rows + 1, CHUNK):
        last = min(rows, first + CHUNK - 1)
        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(SEED, {"start": start, "first": first, "last": last, "step": step})
        print(
            f"  seeded rows {first:,}-{last:,} in {time.perf_counter() - began:.1f} s ({common.machine()})", flush=True
        )


def seed_once() -> int:
    """Fill the table to ROWS over the last 30 days (once), with the dedup window's keys; return its rows."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    have = common.estimated_rows("ailogs_aicall")
    if have >= 0.95 * ROWS:
        return have
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ailogs_aicall, ailogs_aicalleventid, ailogs_aicallhourly")
    print(f"seeding {ROWS:,} rows over 30 days (once; the database {DB} is kept for later runs)", flush=True)
    now = timezone.now()
    began = time.perf_counter()
    seed(ROWS, now - timedelta(days=30), timedelta(days=30) - timedelta(minutes=5))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ailogs_aicalleventid (event_id, day) SELECT event_id, (\"timestamp\" AT TIME ZONE 'UTC')::date "
            'FROM ailogs_aicall WHERE "timestamp" >= %s',
            [now - timedelta(days=settings.AILOGS_DEDUP_DAYS)],
        )
        cursor.execute("VACUUM ANALYZE ailogs_aicall")
        cursor.execute("VACUUM ANALYZE ailogs_aicalleventid")
    print(f"seeded in {time.perf_counter() - began:.0f} s", flush=True)
    return ROWS


class MakeRunServer:
    """The Procfile's `web` line, run as `make run` runs it (honcho: a shell, PORT set), stopped by
    its own process group; the access log goes to var/bench/access.log."""

    def __init__(self, name: str, port: int, **extra_env: str) -> None:
        procfile = (common.ROOT / "Procfile").read_text().splitlines()
        line = next(entry for entry in procfile if entry.startswith("web:"))
        env = common.server_env(name) | {
            "PORT": str(port),
            "DJANGO_DEBUG": os.environ.get("BENCH_DJANGO_DEBUG", "true"),
        }
        env |= extra_env
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = os.environ["REDIS_URL"]
        (common.ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
        self.log = open(common.ROOT / "var" / "bench" / "access.log", "ab")  # noqa: SIM115
        self.url = f"http://127.0.0.1:{port}"
        self.command = line.removeprefix("web:").strip()
        self.process = subprocess.Popen(  # noqa: S602 (the Procfile is ours)
            self.command,
            shell=True,
            cwd=common.ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def __enter__(self) -> "MakeRunServer":
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz?live", timeout=1).read()  # noqa: S310
                return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("the Procfile's web server did not start")

    def __exit__(self, *exc) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)  # the group this benchmark started
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


class Bodies:
    """500-event bodies whose event_ids are UUIDv7: milliseconds now, then a per-request counter."""

    def __init__(self) -> None:
        import json

        events = [sample_event(i, f"TTTTTTTT-TTTT-7RRR-8RRR-{i:012x}") for i in range(BATCH)]
        self.template = json.dumps(events).encode()
        self.counter = iter(range(1, 1 << 24))
        self.lock = threading.Lock()

    def __call__(self) -> bytes:
        with self.lock:
            n = next(self.counter)
        t = b"%012x" % (time.time_ns() // 1_000_000)
        r = b"%06x" % n
        return self.template.replace(b"TTTTTTTT-TTTT", t[:8] + b"-" + t[8:]).replace(b"RRR-8RRR", r[:3] + b"-8" + r[3:])


def wal_lsn(cursor) -> int:
    cursor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
    return int(cursor.fetchone()[0])


def purge_during_load(key: str, bodies: Bodies) -> None:
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from ailogs import partitions, retention

    days = 8
    today = timezone.now().date()
    partitions.CALLS.ensure(today, settings.RETENTION_AI_LOGS_DAYS + days + 1, 0)
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    print(f"seeding {PURGE_ROWS:,} expired rows over {days} days past retention", flush=True)
    seed(PURGE_ROWS, midnight - timedelta(days=settings.RETENTION_AI_LOGS_DAYS + days), timedelta(days=days))
    with connection.cursor() as cursor:
        # Days past retention are months old in life: autovacuum has analysed them long ago.
        for day, name in partitions.CALLS.existing().items():
            if day < (midnight - timedelta(days=settings.RETENTION_AI_LOGS_DAYS)).date():
                cursor.execute(f"ANALYZE {name}")
        cursor.execute("CHECKPOINT")  # a checkpoint just before: the purge pays its full-page writes
    with connection.cursor() as cursor:
        before = wal_lsn(cursor)
        without = load("/api/v1/ai-logs/", bodies, 4, SECONDS, key)
        ingest_wal_per_s = (wal_lsn(cursor) - before) / SECONDS
    outcome = {}

    def purge() -> None:
        time.sleep(SECONDS / 3)
        with connection.cursor() as cursor:
            before = wal_lsn(cursor)
            began = time.perf_counter()
            outcome["result"] = retention.purge(dry_run=False)
            outcome["seconds"] = time.perf_counter() - began
            outcome["wal"] = wal_lsn(cursor) - before

    purger = threading.Thread(target=purge)
    purger.start()
    during = load("/api/v1/ai-logs/", bodies, 4, SECONDS, key)
    purger.join()
    print(
        f"purge of {outcome['result'].get('ai calls', 0):,} expired rows "
        f"({outcome['result'].get('ai call partitions', 0)} daily partitions): {outcome['seconds']:.2f} s, "
        f"WAL {outcome['wal'] / 1e6:.2f} MB written meanwhile, of which ingest ~"
        f"{ingest_wal_per_s * outcome['seconds'] / 1e6:.2f} MB (its rate without the purge)"
    )
    print(
        f"batch ingest p99 without purge {without['p99_ms']:.0f} ms ({without['rps'] * BATCH:,.0f} events/s); "
        f"with the purge in the middle {during['p99_ms']:.0f} ms ({during['rps'] * BATCH:,.0f} events/s); "
        f"ratio {during['p99_ms'] / without['p99_ms']:.2f}  [{common.machine()}]"
    )


def main() -> None:
    common.setup_django(DB)
    from ailogs.defaults import install
    from monitoring_site.models import ApiKey

    install(open(os.devnull, "w"))  # noqa: SIM115
    have = seed_once()
    _, key = ApiKey.issue(f"bench-{uuid.uuid4().hex[:6]}", ["ailogs:write"], rate_limit_per_minute=10**9)
    bodies = Bodies()
    print(f"machine: {common.machine()}; table holds ~{have:,} calls")
    with MakeRunServer(DB, PORT) as server:
        print(f"server command: {server.command} (PORT={PORT})")
        load("/api/v1/ai-logs/", bodies, 4, 3, key)  # warm-up
        ratio = common.endpoint_copy_rounds(
            ROUNDS,
            lambda: load("/api/v1/ai-logs/", bodies, 4, SECONDS, key),
            lambda count: raw_copy_rate_of(DB, bodies, count, connections=2),
            BATCH,
            "events",
        )
        print(f"steady state (~{have:,} rows): endpoint/COPY median of {ROUNDS} rounds = {ratio:.2f}")
        if PURGE_ROWS:
            purge_during_load(key, bodies)
    print(f"load after: {common.machine()}")
