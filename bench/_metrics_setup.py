"""Shared set-up of the metrics benchmarks: a dedicated PostgreSQL database (metrics_bench,
or METRICS_BENCH_DATABASE_URL), migrated, with the metrics tables emptied before each run."""

import os
import statistics
import time

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/metrics_bench"


def setup() -> None:
    from django.conf import settings

    if not settings.configured:
        url = os.environ.get("METRICS_BENCH_DATABASE_URL", DEFAULT_URL)
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monitoring_site.settings")
        os.environ.setdefault("METRICS_REQUEST_FLUSH_SECONDS", "0")
        _create_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    empty_tables()


def _create_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def empty_tables() -> None:
    from django.db import connection
    from django.utils import timezone

    from metrics import partitions

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE metrics_metricsample, metrics_metriceventid, metrics_metricrollup, metrics_rollupbucket, metrics_requestminute"
        )
    partitions.ensure_partitions(timezone.now().date(), days_back=32, days_ahead=2)


def environment() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    load = os.getloadavg()
    return f"PostgreSQL {version}, {os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def timed(func, repeat: int = 5) -> tuple[float, object]:
    """Median wall time in ms over `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result
