"""Ping endpoint through the Procfile's `web` line (what `make run` and a deployment start) against
PostgreSQL: pings/s, p50/p99, and the CPU each ping costs every process on the machine.

The server is the Procfile's command as a user runs it: gunicorn sync workers (`WEB_CONCURRENCY`,
here CHECKS_BENCH_WORKERS, default 8), Prometheus in multiprocess mode, DEBUG off, LOG_LEVEL=INFO
(one request line per request, written to var/bench/access.log as a process manager would
collect it). Each ping is what a cron job sends: GET /ping/<uuid> (success) spread over
CHECKS_BENCH_CHECKS checks, a new connection per request, as curl does.

When wrk is installed (a load generator in C that leaves the cores to the server), the GET ping
and the no-database ceiling (`/healthz?live`) are measured with it alternately,
CHECKS_BENCH_ROUNDS times, each with the CPU per request of the web processes, of their
PostgreSQL backends and of wrk itself (/proc, getrusage): on a shared 2-core machine the rate
swings with the neighbours, the CPU per request much less. A Python load generator (threads in
this process, sharing the cores) then runs the GET, a POSTed 2 KB log and /start + success.

Env: CHECKS_BENCH_SECONDS (default 10 per phase), CHECKS_BENCH_PORT (default 8121),
CHECKS_BENCH_WORKERS (gunicorn workers, default 8), CHECKS_BENCH_THREADS (wrk connections and
Python threads, default 16), CHECKS_BENCH_ROUNDS (default 3), CHECKS_BENCH_DB (default
checks_bench_pings), CHECKS_BENCH_REDIS_URL (the server's cache, as in production; pings do not
use it since the rate limit is counted in the check's row).
"""

import itertools
import os
import resource
import shutil
import urllib.request
from pathlib import Path

from bench import _ailogs_common as common
from bench._common import http_load

DB = os.environ.get("CHECKS_BENCH_DB", "checks_bench_pings")
SECONDS = float(os.environ.get("CHECKS_BENCH_SECONDS", "10"))
PORT = int(os.environ.get("CHECKS_BENCH_PORT", "8121"))
WORKERS = int(os.environ.get("CHECKS_BENCH_WORKERS", "8"))
ROUNDS = int(os.environ.get("CHECKS_BENCH_ROUNDS", "3"))
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
    from django.db import connection

    from bench.ailogs_steady import MakeRunServer
    from checks.models import Check, Ping

    Ping.objects.all().delete()
    Check.objects.all().delete()
    checks = Check.objects.bulk_create(
        [Check(name=f"job {i}", slug=f"job-{i}", period_seconds=3600) for i in range(CHECKS)]
    )
    with connection.cursor() as cursor:  # autovacuum may be off: fresh statistics, no dead rows
        cursor.execute("VACUUM ANALYZE checks_check")
        cursor.execute("VACUUM ANALYZE checks_ping")
    codes = [c.code for c in checks]
    print(
        f"checks ping endpoint: the Procfile's web line, {WORKERS} gunicorn sync workers, {CHECKS} checks, "
        f"{THREADS} connections"
    )
    print(f"machine: {common.machine()} (shared with other agents)")
    phases = {
        "GET /ping/<uuid>": [("GET", f"/ping/{c}", None) for c in codes],
        "POST /ping/<uuid> with a 2 KB log": [("POST", f"/ping/{c}", LOG) for c in codes],
        "/start then success": [
            r for c in codes for r in (("GET", f"/ping/{c}/start", None), ("GET", f"/ping/{c}", None))
        ],
    }
    os.environ["BENCH_DJANGO_DEBUG"] = "false"
    if REDIS:
        os.environ["REDIS_URL"] = REDIS
    server = MakeRunServer(DB, PORT, WEB_CONCURRENCY=str(WORKERS), LOG_LEVEL="INFO")
    with server:
        for code in codes:  # every check up (its first ping flips it: the general path) before measuring
            urllib.request.urlopen(f"{server.url}/ping/{code}", timeout=30).read()  # noqa: S310
        load(phases["GET /ping/<uuid>"], 2, THREADS)  # warm up the workers
        if shutil.which("wrk"):
            web = ProcessCpu(server.process.pid)
            for _ in range(ROUNDS):
                for label, paths in (
                    ("GET /healthz?live, wrk (no DB: ceiling)", ["/healthz?live"]),
                    ("GET /ping/<uuid>, wrk", [f"/ping/{c}" for c in codes]),
                ):
                    before = web.sample()
                    result = wrk(paths, SECONDS, THREADS)
                    cpu = web.per_request(before, result)
                    print(
                        f"{label:<40} {result['rps']:7.0f} req/s   p50 {result['p50_ms']:.1f} ms   "
                        f"p99 {result['p99_ms']:.1f} ms   non-2xx {result['non2xx']}   CPU/request: web "
                        f"{cpu['web']:.2f} ms, database {cpu['database']:.2f}, wrk {cpu['wrk']:.2f}, "
                        f"total {cpu['total']:.2f}   load {common.machine()}",
                        flush=True,
                    )
        for label, requests in phases.items():
            result = load(requests, SECONDS, THREADS)
            print(
                f"{label + ', Python client':<40} {result['rps']:7.0f} pings/s   p50 {result['p50_ms']:.1f} ms   "
                f"p99 {result['p99_ms']:.1f} ms   statuses {result['statuses']}   load {common.machine()}",
                flush=True,
            )
    print(f"pings stored: {Ping.objects.count()}")


TICKS = os.sysconf("SC_CLK_TCK")


class ProcessCpu:
    """CPU seconds of the server's processes (its session) and of this database's backends."""

    def __init__(self, session: int) -> None:
        self.session = session

    @staticmethod
    def _stat(pid: int) -> list[str] | None:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None

    def _backends(self) -> list[int]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return [pid for (pid,) in cursor.fetchall()]

    def sample(self) -> dict:
        web, database = {}, {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (fields := self._stat(int(entry.name))) and int(fields[3]) == self.session:
                web[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICKS
        for pid in self._backends():
            if fields := self._stat(pid):
                database[pid] = (int(fields[11]) + int(fields[12])) / TICKS
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"web": web, "database": database, "wrk": child.ru_utime + child.ru_stime}

    def per_request(self, before: dict, result: dict) -> dict:
        """Milliseconds of CPU per request of each part; a process that exited meanwhile counts 0."""
        after = self.sample()
        n = max(result["requests"], 1)
        cpu = {
            part: sum(seconds - before[part].get(pid, 0.0) for pid, seconds in after[part].items()) * 1000 / n
            for part in ("web", "database")
        }
        cpu["wrk"] = (after["wrk"] - before["wrk"]) * 1000 / n
        cpu["total"] = sum(cpu.values())
        return cpu


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
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }


if __name__ == "__main__":
    main()
