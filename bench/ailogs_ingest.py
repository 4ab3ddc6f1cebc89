"""AI-log ingest under gunicorn (2 sync workers) against PostgreSQL.

Measures: 500-event batches (events/s, p50/p99 per request) and the raw psycopg COPY of the same
rows into the same table in the same run (the ratio says how close the endpoint is to the
database's own limit); then single-event requests (req/s, p50/p99). Load comes from a small
bounded thread pool in this process (gunicorn sync workers close every connection, as with wrk).

Env: AILOGS_BENCH_SECONDS (default 10 per phase), AILOGS_BENCH_PORT (default 8101).
"""

import itertools
import json
import os
import statistics
import threading
import time
import uuid

from bench import _ailogs_common as common
from bench._common import http_load

DB = "ailogs_bench_ingest"
BATCH = 500
SECONDS = float(os.environ.get("AILOGS_BENCH_SECONDS", "10"))
PORT = int(os.environ.get("AILOGS_BENCH_PORT", "8101"))
_ids = itertools.count(1)


def sample_event(i: int, event_id: str) -> dict:
    return {
        "event_id": event_id,
        "function": f"function_{i % 40}",
        "provider": "openai",
        "model": ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "o3", "unknown-model", "gpt-4o-mini")[i % 6],
        "status": "error" if i % 33 == 0 else "success",
        "duration_ms": 100.0 + (i * 37) % 2000,
        "prompt_tokens": 500 + i % 700,
        "completion_tokens": 80 + i % 300,
        "input_hash": f"{i:064x}",
        "output_preview": "A short preview of what the model answered, about fifty characters.",
        "tenant": f"tenant-{i % 5}",
        "user_id": f"user-{i % 1000}",
        "session_id": f"session-{i % 5000}",
        "trace_id": f"trace-{i}",
        "metadata": {"region": "eu"},
    }


def batch_template() -> bytes:
    """A 500-event body whose ids share an 8-hex-digit request slot, filled in per request."""
    events = [sample_event(i, f"RRRRRRRR-0000-4000-8000-{i:012x}") for i in range(BATCH)]
    return json.dumps(events).encode()


def fresh_batch(template: bytes) -> bytes:
    return template.replace(b"RRRRRRRR", b"%08x" % next(_ids))


def single_body(i: int) -> bytes:
    return json.dumps(sample_event(i, str(uuid.uuid4()))).encode()


def load(path: str, make_body, threads: int, seconds: float, key: str) -> dict:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return http_load(PORT, lambda: ("POST", path, make_body(), headers), threads, seconds)


def raw_copy_rate(batches: int) -> float:
    """Rows/s of psycopg COPY of the same validated rows into ailogs_aicall, one transaction per 500."""
    return raw_copy_rate_of(DB, lambda: fresh_batch(TEMPLATE), batches)


def raw_copy_rate_of(db: str, make_body, batches: int, connections: int = 1) -> float:
    """Rows/s of psycopg COPY of `batches` bodies from make_body, validated as the endpoint does,
    into ailogs_aicall of database `db`, one transaction per body, from `connections` clients at
    once (as many as the server has workers, for a like-for-like ratio)."""
    import psycopg
    from django.utils import timezone

    from ailogs.ingest import Context, validate
    from ailogs.models import AiCall

    context = Context(timezone.now())
    rows = []
    for _ in range(batches):
        body = json.loads(make_body())
        rows.append([validate(item, context)[0] for item in body])
    columns = list(rows[0][0])
    names = ", ".join(AiCall._meta.get_field(c).column for c in columns)

    def copy_batches(share: list) -> None:
        with psycopg.connect(common.bench_database_url(db)) as conn:
            for batch in share:
                with conn.cursor() as cursor, cursor.copy(f"COPY ailogs_aicall ({names}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(
                            [psycopg.types.json.Jsonb(row[c]) if isinstance(row[c], dict) else row[c] for c in columns]
                        )
                conn.commit()

    shares = [rows[i::connections] for i in range(connections)]
    return batches * BATCH / common.seconds_in_threads(copy_batches, shares)


RAW_INSERT = (
    "INSERT INTO ailogs_aicall (function, provider, model, status, duration_ms, prompt_tokens, completion_tokens,"
    " total_tokens, cost_source, input_hash, output_preview, error_message, user_id, session_id, tenant, actor_type,"
    " trace_id, metadata, timestamp, event_id) VALUES ('f', 'openai', 'm', 'success', 1, 1, 1, 2, 'unpriced', '', '',"
    " '', '', '', '', '', '', '{}', now(), gen_random_uuid())"
)


def raw_single_insert_ms(count: int = 300) -> float:
    """Median ms of one-row autocommit INSERTs with psycopg: the database's own per-commit floor."""
    import psycopg

    times = []
    with psycopg.connect(common.bench_database_url(DB), autocommit=True) as conn:
        for _ in range(count):
            began = time.perf_counter()
            conn.execute(RAW_INSERT)
            times.append(1000 * (time.perf_counter() - began))
    return statistics.median(times)


WRK_SCRIPT = """
math.randomseed(os.time())
local template = [[%s]]
function request()
  local id = string.format("%%08x-%%04x-4%%03x-8%%03x-%%012x", math.random(0, 0xffffffff), math.random(0, 0xffff),
    math.random(0, 0xfff), math.random(0, 0xfff), math.random(0, 0xffffffffffff))
  return wrk.format("POST", "/api/v1/ai-logs/", {["Authorization"] = "Bearer %s", ["Content-Type"] = "application/json"},
    (template:gsub("EVENT_ID", id)))
end
"""


def wrk_single(key: str, seconds: float) -> dict | None:
    """Single events with wrk (1 thread, 16 connections), when installed: a C client leaves the
    two cores to gunicorn and PostgreSQL, as in docs/performance.md."""
    import re
    import shutil
    import subprocess
    import tempfile

    if not shutil.which("wrk"):
        return None
    body = json.dumps(sample_event(7, "EVENT_ID"))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (body, key))
    out = subprocess.run(
        ["wrk", "-t1", "-c16", f"-d{int(seconds)}s", "--latency", "-s", script.name, f"http://127.0.0.1:{PORT}/"],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    ).stdout
    os.unlink(script.name)

    def ms(label):
        match = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "statuses": {"non-2xx": int(non2xx.group(1)) if non2xx else 0},
    }


def raw_single_insert_rate(connections: int = 2, seconds: float = 5.0) -> float:
    """One-row autocommit INSERTs per second from `connections` psycopg clients (like 2 workers)."""
    done = []

    def client():
        import psycopg

        end, count = time.monotonic() + seconds, 0
        with psycopg.connect(common.bench_database_url(DB), autocommit=True) as conn:
            while time.monotonic() < end:
                conn.execute(RAW_INSERT)
                count += 1
        done.append(count)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


class AsyncCommitGunicorn(common.Gunicorn):
    """The same server with AILOGS_SYNCHRONOUS_COMMIT = False, from a settings module written to a
    temp dir (until the setting is read from the environment in monitoring_site/settings.py)."""

    def __init__(self, name: str, port: int) -> None:
        import tempfile

        self.dir = tempfile.TemporaryDirectory()
        with open(os.path.join(self.dir.name, "ailogs_bench_async.py"), "w") as f:
            f.write("from monitoring_site.settings import *  # noqa\nAILOGS_SYNCHRONOUS_COMMIT = False\n")
        saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
        os.environ["PYTHONPATH"] = self.dir.name + os.pathsep + str(common.ROOT)
        os.environ["DJANGO_SETTINGS_MODULE"] = "ailogs_bench_async"
        try:
            super().__init__(name, port)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def __exit__(self, *exc) -> None:
        super().__exit__(*exc)
        self.dir.cleanup()


def single_sync_vs_async(key: str, rounds: int, seconds: float) -> list[tuple[str, dict]]:
    """wrk single events, alternating synchronous and asynchronous commit (same load, interleaved)."""
    results = []
    for _ in range(rounds):
        for label, server in (("sync commit", common.Gunicorn), ("async commit", AsyncCommitGunicorn)):
            with server(DB, PORT):
                wrk_single(key, 2)  # warm-up: connections, key and price caches
                result = wrk_single(key, seconds)
            if result:
                results.append((label, result))
    return results


TEMPLATE = batch_template()


def main() -> None:
    common.setup_django(DB)
    from django.db import connection

    from ailogs.defaults import install
    from monitoring_site.models import ApiKey

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ailogs_aicall, ailogs_aicallhourly")
    install(open(os.devnull, "w"))
    _, key = ApiKey.issue(f"bench-{uuid.uuid4().hex[:6]}", ["ailogs:write"], rate_limit_per_minute=10**9)
    print(f"machine: {common.machine()}, batch={BATCH}, {SECONDS:.0f} s per phase, gunicorn 2 sync workers on :{PORT}")
    with common.Gunicorn(DB, PORT):
        load("/api/v1/ai-logs/", lambda: fresh_batch(TEMPLATE), 4, 2, key)  # warm-up
        batch = load("/api/v1/ai-logs/", lambda: fresh_batch(TEMPLATE), 4, SECONDS, key)
        copy_rate = raw_copy_rate(max(20, min(batch["requests"], 200)))
        counter = itertools.count(10**7)
        load("/api/v1/ai-logs/", lambda: single_body(next(counter)), 16, 2, key)  # warm-up
        single = load("/api/v1/ai-logs/", lambda: single_body(next(counter)), 16, SECONDS, key)
        by_wrk = wrk_single(key, SECONDS)
    events = batch["rps"] * BATCH
    print(
        f"batch of {BATCH}: {batch['rps']:.1f} req/s = {events:,.0f} events/s, p50 {batch['p50_ms']:.0f} ms, p99 {batch['p99_ms']:.0f} ms, statuses {batch['statuses']}"
    )
    print(
        f"raw psycopg COPY of the same rows (500/txn): {copy_rate:,.0f} rows/s; endpoint/COPY = {events / copy_rate:.2f}"
    )
    print(
        f"single event (Python load generator, 16 threads): {single['rps']:.0f} req/s, p50 {single['p50_ms']:.1f} ms, p99 {single['p99_ms']:.1f} ms, statuses {single['statuses']}"
    )
    if by_wrk:
        print(
            f"single event with wrk -t1 -c16: {by_wrk['rps']:.0f} req/s, p50 {by_wrk['p50_ms']:.1f} ms, p99 {by_wrk['p99_ms']:.1f} ms, {by_wrk['statuses']}"
        )
    for label, r in single_sync_vs_async(key, int(os.environ.get("AILOGS_BENCH_AB_ROUNDS", "2")), SECONDS):
        print(
            f"single event, wrk -t1 -c16, {label}: {r['rps']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, {r['statuses']}"
        )
    print(
        f"database floor: one-row autocommit INSERT via psycopg, median {raw_single_insert_ms():.2f} ms; 2 clients: {raw_single_insert_rate():.0f} INSERTs/s"
    )
    print(f"load after: {common.machine()}")
