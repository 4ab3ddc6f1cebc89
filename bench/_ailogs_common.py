"""Shared set-up of the ailogs benchmarks: a dedicated PostgreSQL database, Django, gunicorn."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable


def bench_database_url(name: str) -> str:
    """DATABASE_URL's server (or AILOGS_BENCH_SERVER_URL's) with a database of its own per benchmark."""
    base = urlparse(
        os.environ.get("AILOGS_BENCH_SERVER_URL")
        or os.environ.get("DATABASE_URL")
        or "postgres://postgres@127.0.0.1:5432/x"
    )
    return base._replace(path=f"/{name}").geturl()


def server_env(name: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(
        DATABASE_URL=bench_database_url(name),
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        VAR_DIR=str(ROOT / "var" / "bench"),
    )
    return env


def create_database(name: str) -> None:
    import psycopg

    url = urlparse(bench_database_url(name))
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.path[1:],)).fetchone():
            conn.execute(f'CREATE DATABASE "{url.path[1:]}"')


def setup_django(name: str) -> None:
    """Point this process at the bench database `name`, migrate it and set Django up."""
    create_database(name)
    os.environ.update(server_env(name))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monitoring_site.settings")
    subprocess.run([PYTHON, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=server_env(name), check=True)
    import django

    django.setup()


def machine() -> str:
    load = Path("/proc/loadavg").read_text().split()[:3]
    return f"nproc={os.cpu_count()} load={' '.join(load)}"


class Gunicorn:
    """gunicorn with N sync workers on 127.0.0.1:port, stopped by its own PID."""

    def __init__(self, name: str, port: int, workers: int = 2, **env: str) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        gunicorn = str(Path(PYTHON).parent / "gunicorn")
        self.process = subprocess.Popen(
            [gunicorn, "monitoring_site.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT,
            env=server_env(name) | env,
        )

    def __enter__(self) -> "Gunicorn":
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz?live", timeout=1).read()  # noqa: S310
                return self
            except OSError:
                time.sleep(0.2)
        self.process.terminate()
        raise RuntimeError(f"gunicorn did not start on port {self.port}")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def estimated_rows(parent_table: str) -> int:
    """Rows in the partitions of `parent_table` by the planner's estimate (counting 10M rows takes longer)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(sum(GREATEST(c.reltuples, 0)), 0)::bigint FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = %s",
            [parent_table],
        )
        return cursor.fetchone()[0]


def seconds_in_threads(target, shares: list) -> float:
    """Wall seconds to run target(share) for every share at once, one thread each."""
    import threading

    threads = [threading.Thread(target=target, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def endpoint_copy_rounds(rounds: int, endpoint, copy_rate, per_request: int, what: str, label: str = "") -> float:
    """The median endpoint/COPY ratio of `rounds` back-to-back pairs. On a shared machine the load
    changes within seconds, so each ratio compares an endpoint run (`endpoint()`: http_load's
    figures) with the raw COPY of the same rows right after it (`copy_rate(n)`: rows/s for n
    bodies, as many as the endpoint stored, 10-60)."""
    import statistics

    ratios = []
    for round_ in range(1, rounds + 1):
        result = endpoint()
        copy = copy_rate(max(10, min(result["requests"], 60)))
        rate = result["rps"] * per_request
        ratios.append(rate / copy)
        print(
            f"{label}round {round_}: endpoint {rate:,.0f} {what}/s ({per_request} per request, p50 "
            f"{result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, {result['statuses']}); raw COPY of the "
            f"same rows into the same table(s): {copy:,.0f} {what}/s; endpoint/COPY = {ratios[-1]:.2f}  [{machine()}]",
            flush=True,
        )
    return statistics.median(ratios)
