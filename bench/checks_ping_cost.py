"""What one ping costs, whatever the machine's load: CPU time of the Django process and of the
PostgreSQL backend serving it, per ping, through the whole WSGI stack (all middleware) in process.

Wall time on a shared 2-core machine swings with the neighbours' load; CPU time per request much
less, and on 2 cores the CPU per ping (web + database + HTTP server + client) is what caps
pings/s. Env: CHECKS_BENCH_DB (default checks_bench_pings), CHECKS_BENCH_COST_PINGS (2000),
CHECKS_BENCH_REDIS_URL (the server's cache; pings no longer use it). The last case is a job
pinging one check in a loop past its rate limit: every answer a 429.
"""

import io
import logging
import os
import statistics
import sys
import time
from pathlib import Path

from bench import _ailogs_common as common

DB = os.environ.get("CHECKS_BENCH_DB", "checks_bench_pings")
N = int(os.environ.get("CHECKS_BENCH_COST_PINGS", "2000"))
TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def environ(method: str, path: str) -> dict:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": "curl/8.5.0",
        "HTTP_HOST": "127.0.0.1",
    }


def main() -> None:
    os.environ["CHECKS_PING_RATE_LIMIT_PER_MINUTE"] = "1000000"
    os.environ.pop("REDIS_URL", None)
    if os.environ.get("CHECKS_BENCH_REDIS_URL"):
        os.environ["REDIS_URL"] = os.environ["CHECKS_BENCH_REDIS_URL"]
    common.setup_django(DB)
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from checks.models import Check, Ping

    Ping.objects.all().delete()
    Check.objects.all().delete()
    checks = Check.objects.bulk_create(
        [Check(name=f"job {i}", slug=f"job-{i}", period_seconds=3600) for i in range(200)]
    )
    app = WSGIHandler()

    def ping(path: str) -> int:
        statuses = []
        body = app(environ("GET", path), lambda status, headers: statuses.append(status))
        b"".join(body)
        body.close()
        return int(statuses[0][:3])

    for check in checks:  # new -> up, and every statement prepared
        ping(f"/ping/{check.code}")
        ping(f"/ping/{check.code}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    print(f"one ping's cost in process, {N} pings per case; machine {common.machine()} (shared)")
    from django.conf import settings

    cases = (
        ("GET /ping/<uuid>", "", 200),
        ("GET /ping/<uuid>/start", "/start", 200),
        ("429 (a runaway loop)", "", 429),
    )
    for label, tail, expected in cases:
        if expected == 429:  # one check pinged over and over, its minute full: nothing is written
            settings.CHECKS_PING_RATE_LIMIT_PER_MINUTE = 1
            for handler in logging.getLogger("django").handlers:  # Django's warning per 4xx: written, not shown
                handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
            ping(f"/ping/{checks[0].code}")
        refills, walls, cpu, db_cpu = 0, [], time.process_time(), backend_cpu_seconds(backend)
        for i in range(N):
            started = time.perf_counter()
            code = checks[0 if expected == 429 else i % len(checks)].code
            status = ping(f"/ping/{code}{tail}")
            walls.append((time.perf_counter() - started) * 1000)
            if status == 200 and expected == 429:
                refills += 1  # a new minute began: its first ping is taken
            else:
                assert status == expected
        assert refills <= 1
        cpu, db_cpu = time.process_time() - cpu, backend_cpu_seconds(backend) - db_cpu
        print(
            f"{label:<24} wall median {statistics.median(walls):5.2f} ms   web CPU {cpu * 1000 / N:5.3f} ms"
            f"   database CPU {db_cpu * 1000 / N:5.3f} ms   total CPU {(cpu + db_cpu) * 1000 / N:5.3f} ms"
            f"   load {common.machine()}"
        )


if __name__ == "__main__":
    main()
