"""This project served by gunicorn against a given primary (and replica), in its own processes:
the scaling tests and the capacity benchmark see exactly what a deployment sees."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

BASE = Path(__file__).resolve().parents[2]
WEB_PORTS = range(*(int(p) for p in os.environ.get("SCALING_WEB_PORTS", "8160-8170").split("-")))
PASSWORD = "correct horse battery staple"


def environment(var_dir: Path, **overrides: str) -> dict:
    """The environment of a production-like process: no debug, plain HTTP, no Redis (local cache)."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="scaling-tests-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_HSTS_SECONDS="0",
        METRICS_REQUEST_FLUSH_SECONDS="0",
        VAR_DIR=str(var_dir),
        LOG_LEVEL="WARNING",
        REDIS_URL="",
    )
    env.update(overrides)
    return env


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE, env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


def prepare(env: dict) -> str:
    """Migrate, add the roles and an Admin `alice`; return a raw API key with read and write scopes."""
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "setup_roles")
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; from django.contrib.auth.models import Group; "
        f"u = get_user_model().objects.create_user('alice', 'alice@example.com', {PASSWORD!r}, is_staff=True); "
        "u.groups.add(Group.objects.get(name='Admin'))",
    )
    out = manage(env, "create_api_key", "scaling", "--scopes", "ailogs:read,ailogs:write,metrics:read,metrics:write")
    return out.strip().splitlines()[-1]


def free_port() -> int:
    for port in WEB_PORTS:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port in {WEB_PORTS.start}-{WEB_PORTS.stop - 1}")


class Gunicorn:
    """`with Gunicorn(env, workers=2) as base_url:` serves the project until the block ends."""

    def __init__(self, env: dict, workers: int = 1, port: int | None = None) -> None:
        self.env, self.workers, self.port = env, workers, port or free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> str:
        log = open(Path(self.env["VAR_DIR"]) / f"gunicorn-{self.port}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "monitoring_site.wsgi", "--bind", f"127.0.0.1:{self.port}"]
            + ["--workers", str(self.workers), "--timeout", "60"],
            cwd=BASE,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {log.name}")
            try:
                if requests.get(f"{url}/healthz?live", timeout=5).ok:
                    return url
            except requests.RequestException:  # still importing the app
                time.sleep(0.1)
        self.__exit__()  # never leave a server behind that the block will not stop
        raise TimeoutError(f"gunicorn did not answer on {url}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def admin_session(url: str, username: str = "alice") -> requests.Session:
    """A requests session signed in to the admin."""
    session = requests.Session()
    session.get(f"{url}/admin/login/", timeout=10)
    token = session.cookies["csrftoken"]
    response = session.post(
        f"{url}/admin/login/?next=/admin/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/admin/"},
        headers={"Referer": f"{url}/admin/login/"},
        timeout=10,
    )
    if "/admin/login/" in response.url:
        raise RuntimeError(f"could not sign in as {username}")
    return session
