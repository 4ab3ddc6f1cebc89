"""The late-check sweep over 10,000 checks (target: under 1 s), in process against PostgreSQL.

Three cases: nothing late (the usual minute), 1 % late, and all 10,000 late at once (a beat
outage that just ended). Each case is reset and repeated; the sweep is one SELECT ... FOR UPDATE,
one UPDATE and one bulk INSERT of the flips, whatever the count (one statement on PostgreSQL).
The table is vacuumed after each reset, as autovacuum keeps it in production.
"""

import os
import time
from datetime import timedelta

from bench import _ailogs_common as common

DB = os.environ.get("CHECKS_BENCH_SWEEP_DB", "checks_bench_sweep")
N = int(os.environ.get("CHECKS_BENCH_SWEEP_CHECKS", "10000"))
REPEAT = 5


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE checks_check")
        cursor.execute("VACUUM ANALYZE checks_flip")


def main() -> None:
    common.setup_django(DB)
    from django.utils import timezone

    from checks.models import Check, Flip
    from checks.services import sweep_late

    Flip.objects.all().delete()
    Check.objects.all().delete()
    now = timezone.now()
    Check.objects.bulk_create(
        [
            Check(
                name=f"job {i}", slug=f"job-{i}", status="up", last_ping=now - timedelta(hours=2), period_seconds=3600
            )
            for i in range(N)
        ],
        batch_size=2000,
    )
    ids = list(Check.objects.order_by("pk").values_list("pk", flat=True))
    print(f"late-check sweep over {N} checks; machine: {common.machine()} (shared with other agents)")
    for label, late in (("nothing late", 0), ("1 % late", N // 100), ("all late", N)):
        timings = []
        for _ in range(REPEAT):
            Flip.objects.all().delete()
            Check.objects.update(status="up", alert_after=now + timedelta(hours=1))
            Check.objects.filter(pk__in=ids[:late]).update(alert_after=now - timedelta(minutes=1))
            vacuum()  # the resets above leave 20k dead row versions; autovacuum would clear them
            started = time.perf_counter()
            flipped = sweep_late(now)
            timings.append((time.perf_counter() - started) * 1000)
            assert flipped == late, (flipped, late)
        timings.sort()
        print(
            f"{label:<14} ({late:>5} flipped)  median {timings[len(timings) // 2]:8.1f} ms   max {timings[-1]:8.1f} ms   load {common.machine()}"
        )


if __name__ == "__main__":
    main()
