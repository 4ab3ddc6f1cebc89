"""The ingest and alert tests, run once more through PgBouncer in transaction mode.

Transaction pooling gives each transaction whichever server connection is free, so anything
that leans on session state (a session advisory lock, a prepared statement, a WITH HOLD cursor)
breaks there; the ingest staging table is created per transaction and emptied on commit, and
the alert engine's claims are row locks (SKIP LOCKED) and conditional updates.
"""

import os
import subprocess
import sys

import psycopg

from tests.scaling import site

THROUGH_PGBOUNCER = [
    "tests/ailogs/test_ingest.py",
    "tests/ailogs/test_ingest_path.py",
    "tests/ailogs/test_concurrency.py",
    "tests/alerts",
]


def pgbouncer_console(pg_cluster, command: str) -> list[dict]:
    """Run a SHOW command on PgBouncer's admin console (simple query protocol)."""
    url = pg_cluster.url(pg_cluster.pgbouncer_port, "pgbouncer")
    with psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        cursor = conn.execute(command)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_ingest_and_alert_tests_pass_through_pgbouncer_in_transaction_mode(pg_cluster):
    env = {
        **os.environ,
        "DATABASE_URL": pg_cluster.pgbouncer_url,
        "DATABASE_POOLER": "pgbouncer",
        "VAR_DIR": str(pg_cluster.root / "pgbouncer-tests"),
        "REQUIRE_SCALING_TESTS": "",
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--reuse-db", *THROUGH_PGBOUNCER],
        cwd=site.BASE,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout.splitlines()[-1]

    pools = [p for p in pgbouncer_console(pg_cluster, "SHOW POOLS") if p["database"] == "test_mon"]
    assert pools and all(p["pool_mode"] == "transaction" for p in pools)
    stats = {s["database"]: s for s in pgbouncer_console(pg_cluster, "SHOW STATS")}
    assert stats["test_mon"]["total_xact_count"] > 1000  # the suite's work went through the pooler
