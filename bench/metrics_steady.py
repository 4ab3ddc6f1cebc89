"""Metric ingest at steady state: through the server `make run` starts, into a table already full.

The sample table is seeded once with METRICS_STEADY_ROWS rows (default 10,000,000) over the last
30 days, generated server-side in time order, and analysed; later runs reuse it (the database is
kept). Then, in interleaved rounds, POST /api/v1/metrics/ with bodies of 1,000 samples through
the Procfile's `web` command line against a raw psycopg COPY of the same rows into the same
table from as many connections as the server has workers, and the ratio of the two (issue 16
target: >= 0.5). Once without event_ids, once with a UUIDv7 event_id on every sample (as our
client sends them), which adds the dedup key claim.

Env: METRICS_STEADY_ROWS, METRICS_STEADY_DB (metrics_bench_steady), METRICS_BENCH_SECONDS (10 per
phase), METRICS_STEADY_ROUNDS (3), METRICS_BENCH_PORT (8121), BENCH_DJANGO_DEBUG (true).
"""

import json
import os
import threading
import time
import uuid

from bench import _ailogs_common as common
from bench._common import http_load
from bench.ailogs_steady import CHUNK, MakeRunServer

DB = os.environ.get("METRICS_STEADY_DB", "metrics_bench_steady")
ROWS = int(os.environ.get("METRICS_STEADY_ROWS", "10000000"))
SECONDS = float(os.environ.get("METRICS_BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("METRICS_STEADY_ROUNDS", "3"))
PORT = int(os.environ.get("METRICS_BENCH_PORT", "8121"))
BATCH = 1_000
COLUMNS = ["name", "type", "value", "unit", "tags", "source", "route", "timestamp", "event_id"]

SEED = """
INSERT INTO metrics_metricsample (name, type, value, unit, tags, source, route, "timestamp")
SELECT 'svc_latency_ms_' || g %% 20, 'histogram', 50 + (g * 37) %% 900, 'ms',
    jsonb_build_object('service', 'svc' || g %% 7, 'region', 'eu'), 'bench', '',
    %(start)s::timestamptz + (g - %(first)s) * %(step)s::interval
FROM generate_series(%(first)s::bigint, %(last)s::bigint) g
"""


def seed_once() -> int:
    """Fill the sample table to ROWS over the last 30 days (once); return the rows it holds."""
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from metrics import partitions

    partitions.ensure_partitions(timezone.now().date(), days_back=32, days_ahead=2)
    have = common.estimated_rows("metrics_metricsample")
    if have >= 0.95 * ROWS:
        return have
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE metrics_metricsample, metrics_metriceventid")
    print(f"seeding {ROWS:,} samples over 30 days (once; the database {DB} is kept for later runs)", flush=True)
    start = timezone.now() - timedelta(days=30)
    step = (timedelta(days=30) - timedelta(minutes=5)) / ROWS
    began = time.perf_counter()
    for first in range(1, ROWS + 1, CHUNK):
        last = min(ROWS, first + CHUNK - 1)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(SEED, {"start": start, "first": first, "last": last, "step": step})
        print(f"  seeded samples {first:,}-{last:,} ({common.machine()})", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE metrics_metricsample")
    print(f"seeded in {time.perf_counter() - began:.0f} s", flush=True)
    return ROWS


class Bodies:
    """Bodies of 1,000 samples stamped now; with event_ids, UUIDv7s: milliseconds, then a counter."""

    def __init__(self, event_ids: bool) -> None:
        self.event_ids = event_ids
        self.counter = iter(range(1, 1 << 40))
        self.lock = threading.Lock()

    def items(self) -> list[dict]:
        with self.lock:
            n = next(self.counter)
        now = time.time()
        millis = int(now * 1000)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + "Z"
        items = []
        for i in range(BATCH):
            item = {
                "name": f"svc_latency_ms_{i % 20}",
                "type": "histogram",
                "value": 50.0 + (i * 37) % 900,
                "unit": "ms",
                "tags": {"service": f"svc{i % 7}", "region": "eu"},
                "source": "bench",
                "timestamp": stamp,
            }
            if self.event_ids:
                item["event_id"] = f"{millis >> 16:08x}-{millis & 0xFFFF:04x}-7{n % 4096:03x}-8{i:03x}-{n:012x}"
            items.append(item)
        return items

    def __call__(self) -> bytes:
        return json.dumps(self.items()).encode()


def raw_copy_rate(bodies: Bodies, batches: int, connections: int = 2) -> float:
    """Samples/s of psycopg COPY of validated rows into metrics_metricsample, one transaction per body."""
    import psycopg

    from metrics.ingest import validate_batch

    rows = []
    for _ in range(batches):
        valid, errors = validate_batch(bodies.items())
        assert not errors, errors[:1]
        rows.append(valid)

    def copy_batches(share: list) -> None:
        with psycopg.connect(common.bench_database_url(DB)) as conn:
            for batch in share:
                with (
                    conn.cursor() as cursor,
                    cursor.copy(
                        f"COPY metrics_metricsample ({', '.join(COLUMNS)}) FROM STDIN"  # noqa: S608
                    ) as copy,
                ):
                    for row in batch:
                        copy.write_row(
                            [psycopg.types.json.Jsonb(row[c]) if c == "tags" else row.get(c) for c in COLUMNS]
                        )
                conn.commit()

    shares = [rows[i::connections] for i in range(connections)]
    return batches * BATCH / common.seconds_in_threads(copy_batches, shares)


def rounds(key: str, bodies: Bodies, label: str) -> float:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return common.endpoint_copy_rounds(
        ROUNDS,
        lambda: http_load(PORT, lambda: ("POST", "/api/v1/metrics/", bodies(), headers), 4, SECONDS),
        lambda count: raw_copy_rate(bodies, count),
        BATCH,
        "samples",
        f"{label} ",
    )


def main() -> None:
    common.setup_django(DB)
    from monitoring_site.models import ApiKey

    have = seed_once()
    _, key = ApiKey.issue(f"bench-{uuid.uuid4().hex[:6]}", ["metrics:write"], rate_limit_per_minute=10**9)
    print(f"machine: {common.machine()}; table holds ~{have:,} samples")
    with MakeRunServer(DB, PORT) as server:
        print(f"server command: {server.command} (PORT={PORT})")
        plain, keyed = Bodies(event_ids=False), Bodies(event_ids=True)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        print("warm-up:", http_load(PORT, lambda: ("POST", "/api/v1/metrics/", plain(), headers), 2, 2)["statuses"])
        without = rounds(key, plain, "no event_id")
        with_ids = rounds(key, keyed, "UUIDv7 event_id")
    print(
        f"steady state (~{have:,} samples): endpoint/COPY median of {ROUNDS} rounds = {without:.2f} without "
        f"event_ids, {with_ids:.2f} with (target >= 0.5)"
    )
    print(f"load after: {common.machine()}")
