"""One ping in process (Django test client: the whole middleware stack) against PostgreSQL:
the one-statement success path against the general path (lock, insert, update), interleaved in
the same run so machine load weighs on both alike. Also the round trips each one makes."""

import os
import statistics
import time

from bench import _ailogs_common as common

DB = os.environ.get("CHECKS_BENCH_DB", "checks_bench_pings")
N = int(os.environ.get("CHECKS_BENCH_PATH_PINGS", "400"))


def main() -> None:
    os.environ["CHECKS_PING_RATE_LIMIT_PER_MINUTE"] = "1000000"
    common.setup_django(DB)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from checks import ping_sql
    from checks.models import Check

    Check.objects.all().delete()
    checks = Check.objects.bulk_create(
        [Check(name=f"job {i}", slug=f"job-{i}", period_seconds=3600) for i in range(200)]
    )
    client = Client()
    for check in checks:
        client.get(f"/ping/{check.code}")  # new -> up (general path), so the next pings may take the short one
    fast_path = ping_sql.record
    timings: dict[str, list[float]] = {"one statement": [], "general path": []}
    for i in range(N):
        label = "one statement" if i % 2 == 0 else "general path"
        ping_sql.record = fast_path if i % 2 == 0 else (lambda *args: ping_sql.OTHER)
        started = time.perf_counter()
        client.get(f"/ping/{checks[i % len(checks)].code}")
        timings[label].append((time.perf_counter() - started) * 1000)
    for label, use in (("one statement", fast_path), ("general path", lambda *args: ping_sql.OTHER)):
        ping_sql.record = use
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/ping/{checks[0].code}")
        samples = sorted(timings[label])
        print(
            f"{label:<14} median {statistics.median(samples):6.2f} ms   p90 {samples[int(0.9 * len(samples))]:6.2f} ms"
            f"   statements {len(queries.captured_queries)}   load {common.machine()}"
        )
    ping_sql.record = fast_path


if __name__ == "__main__":
    main()
