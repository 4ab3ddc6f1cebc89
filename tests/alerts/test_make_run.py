"""Exactly once under `make run`: the worker and beat processes the Procfile starts, plus
`evaluate_alerts` run by hand in the same minutes, send one webhook per transition."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from alerts.models import AlertTransition, NotificationDelivery
from conftest import wait_for
from tests.alerts.conftest import clear_failed_logins, failed_logins

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="three processes share the database and the broker: PostgreSQL and Redis only",
    ),
    pytest.mark.celery_worker,
]


def procfile(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {name} in the Procfile")


class Processes:
    """Start Procfile entries in their own sessions; stop exactly those (by their process group)."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.started = env, logs, []

    def start(self, name: str) -> None:
        command = procfile(name).replace("var/", f"{self.logs}/")  # pidfiles in the test's own VAR_DIR
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(  # noqa: S603 (our own Procfile line)
            ["/bin/bash", "-c", command if command.startswith("exec ") else f"exec {command}"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append((proc, log))

    def by_hand(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", "evaluate_alerts"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for proc, _log in self.started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc, log in self.started:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
            log.close()


@pytest.fixture
def processes(transactional_db, tmp_path, receiver):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "VAR_DIR": str(tmp_path),
        "ALERTS_EVALUATE_SECONDS": "3",
        "NOTIFY_ALLOW_PRIVATE_NETWORKS": "true",
        "NOTIFY_RETRY_BASE_SECONDS": "0.2",
        "CELERY_CONCURRENCY": "2",
        "LOG_LEVEL": "INFO",
    }
    if db.get("PASSWORD"):
        env["DATABASE_URL"] = env["DATABASE_URL"].replace(f"{db['USER']}@", f"{db['USER']}:{db['PASSWORD']}@")
    from monitoring_site.celery import app

    app.control.purge()  # our own Redis DB: nothing queued by an earlier test reaches the new worker
    procs = Processes(env, tmp_path)
    yield procs
    procs.stop()


def evaluations_by_the_worker(procs: Processes) -> int:
    """Runs of the beat-sent task that evaluated (not the ones the minute claim turned away)."""
    return len(re.findall(r"alert evaluation: \d+ rule\(s\)", procs.log("worker")))


def test_a_rule_that_fires_once_sends_one_webhook_until_it_resolves(processes, receiver, make_rule, make_channel):
    make_channel(receiver.url())
    rule = make_rule(name="Logins", window_minutes=10, repeat_interval_minutes=0)
    processes.start("worker")
    processes.start("beat")
    wait_for(lambda: evaluations_by_the_worker(processes) >= 1, timeout=90)

    failed_logins(6, at=timezone.now())
    hands = [processes.by_hand() for _ in range(3)]  # an operator in the same minute as the beat
    wait_for(lambda: [b["event"] for b in receiver.bodies()] == ["firing"], timeout=90)
    for hand in hands:
        assert hand.wait(60) == 0
    seen = evaluations_by_the_worker(processes)
    hands = [processes.by_hand() for _ in range(2)]
    wait_for(lambda: evaluations_by_the_worker(processes) > seen, timeout=90)  # the beat, a minute on
    for hand in hands:
        assert hand.wait(60) == 0

    clear_failed_logins()
    hands = [processes.by_hand() for _ in range(2)]
    wait_for(lambda: [b["event"] for b in receiver.bodies()] == ["firing", "resolved"], timeout=90)
    for hand in [*hands, processes.by_hand()]:
        assert hand.wait(60) == 0
    wait_for(lambda: not NotificationDelivery.objects.filter(status="pending").exists())

    assert [b["event"] for b in receiver.bodies()] == ["firing", "resolved"]
    assert list(AlertTransition.objects.filter(alert__rule=rule).order_by("at").values_list("reason", flat=True)) == [
        "fired",
        "resolved",
    ]
    assert NotificationDelivery.objects.filter(status="sent").count() == 2
