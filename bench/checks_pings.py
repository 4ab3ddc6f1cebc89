"""Ping endpoint under gunicorn (sync workers) against PostgreSQL: pings/s, p50/p99 per ping.

Each ping is what a cron job sends: GET /ping/<uuid> (success) spread over CHECKS_BENCH_CHECKS
checks, plus a run with POSTed 2 KB logs and /start + success pairs. Load comes from a bounded
thread pool in this process (new connection per request, as curl in a cron job does), so the
load generator shares the machine's cores with the server: the figure is a floor.

Env: CHECKS_BENCH_SECONDS (default 10 per phase), CHECKS_BENCH_PORT (default 8121),
CHECKS_BENCH_WORKERS (gunicorn workers, default 4), CHECKS_BENCH_THREADS (default 16),
CHECKS_BENCH_DB (default checks_bench_pings), CHECKS_BENCH_REDIS_URL (the server's cache, where the
rate limit counts, as in production; default none: each worker's local memory).
"""

import itertools
import os

from bench import _ailogs_common as common
from bench._common import http_load

DB = os.environ.get("CHECKS_BENCH_DB", "checks_bench_pings")
SECONDS = float(os.environ.get("CHECKS_BENCH_SECONDS", "10"))
PORT = int(os.environ.get("CHECKS_BENCH_PORT", "8121"))
WORKERS = int(os.environ.get("CHECKS_BENCH_WORKERS", "4"))
THREADS = int(os.environ.get("CHECKS_BENCH_THREADS", "16"))
CHECKS = int(os.environ.get("CHECKS_BENCH_CHECKS", "500"))
REDIS = os.environ.get("CHECKS_BENCH_REDIS_URL", "")
LOG = b"pg_dump: dumping contents of table public.orders\n" * 40  # ~2 KB


def load(requests, seconds: float, threads: int) -> dict:
    shared = itertools.cycle(requests)

    def next_request():
        method, path, body = next(shared)
        return method, path, body, {"Content-Type": "text/plain"} if body else {}

    return http_load(PORT, next_request, threads, seconds)


def main() -> None:
    os.environ["CHECKS_PING_RATE_LIMIT_PER_MINUTE"] = "1000000"  # measure the endpoint, not the limiter
    common.setup_django(DB)
    from checks.models import Check, Ping

    Ping.objects.all().delete()
    Check.objects.all().delete()
    checks = Check.objects.bulk_create(
        [Check(name=f"job {i}", slug=f"job-{i}", period_seconds=3600) for i in range(CHECKS)]
    )
    codes = [c.code for c in checks]
    print(
        f"checks ping endpoint: gunicorn {WORKERS} sync workers, {THREADS} client threads, {CHECKS} checks, "
        f"rate limit in {'Redis' if REDIS else 'local memory'}"
    )
    print(f"machine: {common.machine()} (shared with other agents)")
    phases = {
        "GET /healthz?live (no DB: the ceiling)": [("GET", "/healthz?live", None)],
        "GET /ping/<uuid>": [("GET", f"/ping/{c}", None) for c in codes],
        "POST /ping/<uuid> with a 2 KB log": [("POST", f"/ping/{c}", LOG) for c in codes],
        "/start then success": [
            r for c in codes for r in (("GET", f"/ping/{c}/start", None), ("GET", f"/ping/{c}", None))
        ],
    }
    redis = {"REDIS_URL": REDIS} if REDIS else {}
    with common.Gunicorn(DB, PORT, workers=WORKERS, **redis):
        load(phases["GET /ping/<uuid>"], 2, THREADS)  # warm up the workers
        for label, requests in phases.items():
            result = load(requests, SECONDS, THREADS)
            print(
                f"{label:<40} {result['rps']:7.0f} pings/s   p50 {result['p50_ms']:.1f} ms   "
                f"p99 {result['p99_ms']:.1f} ms   statuses {result['statuses']}   load {common.machine()}"
            )
    print(f"pings stored: {Ping.objects.count()}")


if __name__ == "__main__":
    main()
