"""Capacity figures for docs/scaling.md, on a primary + streaming replica this run makes itself.

1. AI-log ingest under gunicorn with 1, 2 and 4 sync workers: events/s in 100-event batches and
   single-event requests/s (load from 2 threads per worker in this process).
2. Read latency (AI stats grouped by model over 24 h, and the AI calls list) while 2 threads
   ingest 100-event batches, with reads on the primary and with reads on the replica.

The clusters (durable: fsync on) live under var/scaling and are removed at the end; ports
55432-55439 and 8160-8169. Env: SCALING_BENCH_SECONDS (default 8 per phase), SCALING_BENCH_ROWS
(rows preloaded for the read phase, default 300000).
"""

import http.client
import itertools
import json
import os
import statistics
import subprocess
import threading
import time
import uuid

from tests.scaling import cluster, site

SECONDS = float(os.environ.get("SCALING_BENCH_SECONDS", "8"))
ROWS = int(os.environ.get("SCALING_BENCH_ROWS", "300000"))
BATCH = 100
_ids = itertools.count(1)


def event(i: int) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "function": f"function_{i % 40}",
        "provider": "openai",
        "model": ("gpt-4o-mini", "gpt-4o", "o3")[i % 3],
        "status": "error" if i % 33 == 0 else "success",
        "duration_ms": 100.0 + (i * 37) % 2000,
        "prompt_tokens": 500 + i % 700,
        "completion_tokens": 80 + i % 300,
        "tenant": f"tenant-{i % 5}",
        "session_id": f"session-{i % 5000}",
    }


def batch_body() -> bytes:
    start = next(_ids) * BATCH
    return json.dumps([event(start + i) for i in range(BATCH)]).encode()


def single_body() -> bytes:
    return json.dumps(event(next(_ids))).encode()


def request(port: int, method: str, path: str, key: str, body: bytes | None = None) -> tuple[int, float]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0
    finally:
        conn.close()
    return status, time.perf_counter() - started


def hammer(port: int, key: str, make_body, threads: int, seconds: float, stop: threading.Event | None = None):
    """POST bodies from `threads` threads for `seconds` (or until `stop`); return (requests, wall, errors)."""
    counts = {"ok": 0, "bad": 0}
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < end and not (stop and stop.is_set()):
            status, _ = request(port, "POST", "/api/v1/ai-logs/", key, make_body())
            with lock:
                counts["ok" if status in (200, 201) else "bad"] += 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return counts["ok"], time.perf_counter() - started, counts["bad"]


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def ingest_scaling(pg: cluster.Cluster, env: dict, key: str) -> None:
    print(f"\ningest, gunicorn sync workers on one primary (PostgreSQL 15, fsync on), {SECONDS:g} s per figure")
    print(f"{'workers':>7} {'events/s (100-event batches)':>30} {'single events req/s':>21}   {'load':<30}")
    for workers in (1, 2, 4):
        with site.Gunicorn(env, workers=workers) as url:
            port = int(url.rsplit(":", 1)[1])
            for _ in range(workers):  # warm every worker's imports and connection
                request(port, "GET", "/api/v1/ai-logs/stats/?window=1h", key)
            ok, wall, bad = hammer(port, key, batch_body, 2 * workers, SECONDS)
            events = ok * BATCH / wall
            ok1, wall1, bad1 = hammer(port, key, single_body, 2 * workers, SECONDS)
            note = f" ({bad + bad1} failed)" if bad + bad1 else ""
            print(f"{workers:>7} {events:>30,.0f} {ok1 / wall1:>21,.0f}   {load()}{note}", flush=True)


def read_latency(pg: cluster.Cluster, env: dict, key: str, label: str) -> None:
    paths = ("/api/v1/ai-logs/stats/?window=24h&group_by=model", "/api/v1/ai-logs/?limit=50")
    with site.Gunicorn(env, workers=2) as url:
        port = int(url.rsplit(":", 1)[1])
        for path in paths:
            request(port, "GET", path, key)
        stop = threading.Event()
        ingest = threading.Thread(target=hammer, args=(port, key, batch_body, 2, SECONDS * 2, stop))
        ingest.start()
        samples: dict[str, list[float]] = {p: [] for p in paths}
        end = time.monotonic() + SECONDS
        while time.monotonic() < end:
            for path in paths:
                status, elapsed = request(port, "GET", path, key)
                if status == 200:
                    samples[path].append(elapsed * 1000)
        stop.set()
        ingest.join()
    for path, values in samples.items():
        values.sort()
        p95 = values[int(0.95 * (len(values) - 1))] if values else float("nan")
        median = statistics.median(values) if values else float("nan")
        print(f"{label:<10} {path:<52} median {median:7.1f} ms  p95 {p95:7.1f} ms  n={len(values):<4} {load()}")


def main() -> None:
    reason = cluster.missing()
    if reason:
        print(f"skipped: {reason}")
        return
    print(f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, shared machine; {load()}")
    pg = cluster.make(durable=True)
    try:
        var_dir = pg.root / "site"
        var_dir.mkdir()
        primary_env = site.environment(var_dir, DATABASE_URL=pg.primary_url, AILOGS_SYNCHRONOUS_COMMIT="true")
        key = site.prepare(primary_env)
        ingest_scaling(pg, primary_env, key)

        pg.seed_ai_calls(ROWS)
        site.manage(primary_env, "rollup_ailogs")
        pg.wait_replayed(timeout=120)
        rows = pg.sql("primary", "SELECT count(*) FROM ailogs_aicall")[0]
        size = pg.sql("primary", "SELECT pg_total_relation_size('ailogs_aicall')")[0]
        print(
            f"\nstorage: {size / rows:,.0f} bytes per AI call, table + indexes ({rows:,} rows, {size / 2**20:,.0f} MiB)"
        )
        print(
            f"\nreads while 2 threads ingest 100-event batches (gunicorn 2 workers; {rows:,} AI calls), {SECONDS:g} s"
        )
        read_latency(pg, primary_env, key, "primary")
        replica_env = {**primary_env, "DATABASE_REPLICA_URL": pg.replica_url}
        read_latency(pg, replica_env, key, "replica")
        replica_reads = pg.calls("replica", "select%ailogs_aicall%")
        print(f"(statements on ailogs tables the replica answered: {replica_reads:,})")
    finally:
        pg.stop()
