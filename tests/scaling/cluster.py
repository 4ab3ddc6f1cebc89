"""Throw-away PostgreSQL 15 primary + streaming replica + PgBouncer (transaction mode) under var/.

Made for the scaling tests and benchmarks: `initdb`, `pg_basebackup -R`, Debian's pgbouncer, own
ports (55432-55439 unless SCALING_PORTS says otherwise) and data folders, all removed by `stop()`.
PostgreSQL and PgBouncer refuse to run as root, so as root they run as the `postgres` user.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PGBOUNCER = Path(os.environ.get("PGBOUNCER", "/usr/sbin/pgbouncer"))
ROOT = Path(__file__).resolve().parents[2] / "var" / "scaling"
PORTS = range(*(int(p) for p in os.environ.get("SCALING_PORTS", "55432-55440").split("-")))
DATABASE = "mon"

# Test clusters: durability off (a crash only loses a test run) unless a benchmark asks for it.
FAST_CONF = """
fsync = off
full_page_writes = off
"""
SERVER_CONF = """
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
shared_buffers = 128MB
max_connections = 60
wal_level = replica
hot_standby = on
hot_standby_feedback = on
# Per-statement call counts, updated as each statement ends: which server ran which reads.
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track_utility = off
"""

PGBOUNCER_INI = """
[databases]
* = host=127.0.0.1 port={primary}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {root}/userlist.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = 8
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
admin_users = postgres
pidfile = {root}/pgbouncer.pid
logfile = {root}/pgbouncer.log
"""


# `count` AI calls spread over the last `hours` hours, written straight into the primary.
SEED_AI_CALLS = """
INSERT INTO ailogs_aicall (function, provider, model, status, duration_ms, prompt_tokens, completion_tokens,
    total_tokens, cost_source, input_hash, output_preview, error_message, user_id, session_id, tenant, actor_type,
    trace_id, metadata, timestamp, event_id)
SELECT 'function_' || (i % 40), 'openai', (ARRAY['gpt-4o-mini','gpt-4o','o3','gpt-4.1-mini'])[1 + i % 4],
    CASE WHEN i % 33 = 0 THEN 'error' ELSE 'success' END, 100 + (i * 37) % 2000, 500 + i % 700, 80 + i % 300,
    580 + i % 700 + i % 300, 'unpriced', '', 'preview', '', 'user-' || (i % 1000), 'session-' || (i % 5000),
    'tenant-' || (i % 5), '', '', '{{}}', now() - (i % ({hours} * 3600)) * interval '1 second', gen_random_uuid()
FROM generate_series(1, {count}) AS i
"""


def missing() -> str | None:
    """Why the cluster cannot be made here, or None."""
    for binary in (PG_BIN / "initdb", PG_BIN / "pg_basebackup", PG_BIN / "pg_ctl", PGBOUNCER):
        if not binary.exists():
            return f"{binary} is not installed (apt-get install postgresql-15 pgbouncer)"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "runuser is missing (needed to run PostgreSQL as the postgres user)"
    return None


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str]) -> str:
    done = subprocess.run(_as_owner(cmd), capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr or done.stdout}")
    return done.stdout


def _free_ports(count: int) -> list[int]:
    free = []
    for port in PORTS:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                free.append(port)
        if len(free) == count:
            return free
    raise RuntimeError(f"fewer than {count} free ports in {PORTS.start}-{PORTS.stop - 1}")


@dataclass
class Cluster:
    primary_port: int
    replica_port: int
    pgbouncer_port: int
    root: Path = ROOT
    durable: bool = False
    started: list[str] = field(default_factory=list)

    def url(self, port: int, database: str = DATABASE) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{database}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    @property
    def pgbouncer_url(self) -> str:
        return self.url(self.pgbouncer_port)

    def pg_ctl(self, name: str, action: str) -> None:
        extra = ["-w", "-l", str(self.root / f"{name}.log")] if action in ("start", "restart") else ["-m", "fast"]
        _run([str(PG_BIN / "pg_ctl"), "-D", str(self.root / name), *extra, action])

    def start(self) -> "Cluster":
        if self.root.exists():
            self.stop()
        self.root.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        primary, replica = self.root / "primary", self.root / "replica"
        _run([str(PG_BIN / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        conf = SERVER_CONF + ("" if self.durable else FAST_CONF)
        _append(primary / "postgresql.conf", conf + f"port = {self.primary_port}\n")
        self.pg_ctl("primary", "start")
        self.started.append("primary")
        _run(
            [str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres"]
            + ["-D", str(replica), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"]
        )
        _append(replica / "postgresql.conf", f"port = {self.replica_port}\n")
        self.pg_ctl("replica", "start")
        self.started.append("replica")
        self.sql("primary", f"CREATE DATABASE {DATABASE}", database="postgres")
        self.sql("primary", "CREATE EXTENSION pg_stat_statements")
        self._start_pgbouncer()
        return self

    def _start_pgbouncer(self) -> None:
        (self.root / "userlist.txt").write_text('"postgres" ""\n')
        ini = self.root / "pgbouncer.ini"
        ini.write_text(PGBOUNCER_INI.format(primary=self.primary_port, port=self.pgbouncer_port, root=self.root))
        for path in (ini, self.root / "userlist.txt"):
            if os.geteuid() == 0:
                shutil.chown(path, "postgres", "postgres")
        _run([str(PGBOUNCER), "-d", str(ini)])
        self.started.append("pgbouncer")
        _wait_for_port(self.pgbouncer_port)

    def sql(self, where: str, statement: str, database: str = DATABASE):
        """Run one statement on "primary", "replica" or "pgbouncer" and return the first column of each row."""
        import psycopg

        port = {"primary": self.primary_port, "replica": self.replica_port, "pgbouncer": self.pgbouncer_port}[where]
        with psycopg.connect(self.url(port, database), autocommit=True, connect_timeout=3) as conn:
            cursor = conn.execute(statement)
            return [row[0] for row in cursor.fetchall()] if cursor.description else []

    def seed_ai_calls(self, count: int, hours: int = 24) -> None:
        self.sql("primary", SEED_AI_CALLS.format(count=int(count), hours=int(hours)))
        self.sql("primary", "ANALYZE ailogs_aicall")

    def calls(self, where: str, like: str) -> int:
        """How many statements matching `like` (SQL ILIKE) the server has run since it started."""
        pattern = like.replace("'", "''")
        return int(
            self.sql(where, f"SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query ILIKE '{pattern}'")[0]
        )

    def wait_replayed(self, timeout: float = 30) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        target = self.sql("primary", "SELECT pg_current_wal_insert_lsn()::text")[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sql("replica", f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0]:
                return
            time.sleep(0.05)
        raise TimeoutError(f"replica did not replay up to {target} within {timeout} s")

    def stop(self) -> None:
        """Stop whatever runs and remove the data folders."""
        pid_file = self.root / "pgbouncer.pid"
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text().strip()), 15)
            except (ProcessLookupError, ValueError):
                pass
        for name in ("replica", "primary"):
            if (self.root / name / "postmaster.pid").exists():
                try:
                    self.pg_ctl(name, "stop")
                except RuntimeError:
                    pass
        self.started.clear()
        shutil.rmtree(self.root, ignore_errors=True)


def _append(path: Path, text: str) -> None:
    with path.open("a") as f:
        f.write(text)


def _wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def data_root() -> Path:
    """var/scaling, or a folder under /tmp when the postgres user cannot reach var/ (a clone under /root)."""
    ROOT.parent.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or subprocess.run(_as_owner(["test", "-x", str(ROOT.parent)])).returncode == 0:
        return ROOT
    return Path(tempfile.gettempdir()) / f"monitoring-scaling-{zlib.crc32(str(ROOT).encode()):08x}"


def make(durable: bool = False) -> Cluster:
    primary, replica, bouncer = _free_ports(3)
    return Cluster(primary, replica, bouncer, root=data_root(), durable=durable).start()
