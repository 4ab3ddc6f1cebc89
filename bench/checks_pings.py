"""Ping endpoint under gunicorn (sync workers) against PostgreSQL: pings/s, p50/p99 per ping.

Each ping is what a cron job sends: GET /ping/<uuid> (success) spread over CHECKS_BENCH_CHECKS
checks, plus a run with POSTed 2 KB logs and /start + success pairs. Load comes from a bounded
thread pool in this process (new connection per request, as curl in a cron job does), so the
load generator shares the machine's cores with the server: the figure is a floor.

When wrk is installed, the plain GET ping and the ceiling are also measured with wrk, a load
generator in C that leaves the cores to the server.

Env: CHECKS_BENCH_SECONDS (default 10 per phase), CHECKS_BENCH_PORT (default 8121),
CHECKS_BENCH_WORKERS (gunicorn workers, default 4), CHECKS_BENCH_THREADS (default 16),
CHECKS_BENCH_DB (default checks_bench_pings), CHECKS_BENCH_REDIS_URL (the server's cache, where the
rate limit counts, as in production; default none: each worker's local memory).
"""

import itertools
import os
import shutil

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
        if shutil.which("wrk"):
            for label, paths in (
                ("GET /healthz?live, wrk (no DB: the ceiling)", ["/healthz?live"]),
                ("GET /ping/<uuid>, wrk", [f"/ping/{c}" for c in codes]),
            ):
                result = wrk(paths, SECONDS, THREADS)
                print(
                    f"{label:<40} {result['rps']:7.0f} pings/s   p50 {result['p50_ms']:.1f} ms   "
                    f"p99 {result['p99_ms']:.1f} ms   non-2xx {result['non2xx']}   load {common.machine()}"
                )
    print(f"pings stored: {Ping.objects.count()}")


WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


def wrk(paths: list[str], seconds: float, connections: int) -> dict:
    """The same GETs from wrk (C, one thread): a load generator that leaves the cores to the server.
    gunicorn's sync workers close every connection, so each request is a new one, as with curl."""
    import re
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths))
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{int(seconds)}s",
                "--latency",
                "-s",
                script.name,
                f"http://127.0.0.1:{PORT}/",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=False,
        ).stdout
    finally:
        os.unlink(script.name)

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) / 1000 if unit == "us" else float(value) * 1000 if unit == "s" else float(value)

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }


if __name__ == "__main__":
    main()
