"""Checks built with an injected clock, and a local HTTP server for uptime monitors (ports 8120-8129)."""

import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from checks.models import Check, Monitor
from checks.services import PingData, record_ping

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ping(check: Check, kind: str = "success", at: datetime = T0, **fields) -> Check:
    record_ping(check.code, PingData(kind=kind, **fields), now=at)
    return Check.objects.get(pk=check.pk)


@pytest.fixture
def make_check(db):
    def make(**fields) -> Check:
        fields.setdefault("name", f"check {Check.objects.count() + 1}")
        fields.setdefault("period_seconds", 3600)
        fields.setdefault("grace_seconds", 600)
        return Check.objects.create(**fields)

    return make


class Site:
    """A local HTTP server whose answer each test sets: status, body, delay."""

    def __init__(self) -> None:
        self.status, self.body, self.delay, self.hits = 200, b"all good", 0.0, 0
        self.server = _bind(self)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/health") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _bind(site: Site) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, with_body: bool) -> None:
            site.hits += 1
            if site.delay:
                time.sleep(site.delay)
            self.send_response(site.status)
            self.send_header("Content-Length", str(len(site.body)))
            self.end_headers()
            if with_body:
                self.wfile.write(site.body)

        def do_GET(self):
            self._answer(True)

        def do_HEAD(self):
            self._answer(False)

        def log_message(self, *args):
            pass

    for port in range(8120, 8130):
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        except OSError:
            continue
        server.daemon_threads = True
        return server
    raise RuntimeError("no free port in 8120-8129")


@pytest.fixture
def site(settings):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORKS = True  # the local server is on 127.0.0.1
    instance = Site()
    yield instance
    instance.close()


def free_port() -> int:
    """A port in our range that nothing listens on (connection refused)."""
    import socket

    for port in range(8129, 8119, -1):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("every port in 8120-8129 is taken")


@pytest.fixture
def make_monitor(db):
    def make(url: str, **fields) -> Monitor:
        fields.setdefault("name", f"monitor {Monitor.objects.count() + 1}")
        return Monitor.objects.create(url=url, **fields)

    return make


MINUTE = timedelta(minutes=1)
