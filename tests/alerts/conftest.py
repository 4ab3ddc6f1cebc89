"""A real HTTP receiver on 127.0.0.1:84xx, and helpers to build rules, channels and data."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from alerts.models import AlertRule, NotificationChannel
from monitoring_site.models import AuditEvent


class Receiver:
    """Records every request; answers from a script of statuses, then with `default`."""

    def __init__(self, port: int | None = None):
        self.requests: list[dict] = []
        self.script: list[tuple[int, dict]] = []
        self.default = (200, {})
        self.lock = threading.Lock()
        self.server = _bind(self, port)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, *statuses, headers=None) -> None:
        self.script = [(s, headers or {}) for s in statuses]

    def next_answer(self) -> tuple[int, dict]:
        with self.lock:
            return self.script.pop(0) if self.script else self.default

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _bind(receiver: Receiver, only: int | None = None) -> ThreadingHTTPServer:
    for port in [only] if only else range(8400, 8500):
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), _handler(receiver))
        except OSError:
            continue
        server.daemon_threads = True
        return server
    raise RuntimeError(f"no free port in {only or '8400-8499'}")


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, headers = receiver.next_answer()
            with receiver.lock:
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body, "status": status}
                )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver(settings):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORKS = True
    settings.NOTIFY_RETRY_BASE_SECONDS = 0.05
    settings.NOTIFY_RETRY_MAX_SECONDS = 0.2
    instance = Receiver()
    settings.PAGERDUTY_EVENTS_URL = instance.url("/pagerduty")
    yield instance
    instance.close()


@pytest.fixture
def make_rule(db):
    def make(**fields) -> AlertRule:
        defaults = {
            "name": f"rule {AlertRule.objects.count() + 1}",
            "metric": "failed_logins",
            "window_minutes": 10,
            "comparator": "gt",
            "warning_threshold": 5,
            "critical_threshold": 20,
            "repeat_interval_minutes": 0,
            "min_samples": 1,
        }
        return AlertRule.objects.create(**{**defaults, **fields})

    return make


@pytest.fixture
def make_channel(db):
    def make(url: str, kind: str = "webhook", **fields) -> NotificationChannel:
        name = fields.pop("name", f"{kind} {NotificationChannel.objects.count() + 1}")
        return NotificationChannel.objects.create(name=name, kind=kind, target=url, **fields)

    return make


def failed_logins(count: int, at=None) -> None:
    """Insert failed login audit events (what the failed_logins catalog key counts)."""
    at = at or timezone.now() - timedelta(seconds=30)
    AuditEvent.objects.bulk_create(
        [AuditEvent(kind=AuditEvent.Kind.LOGIN_FAILED, actor_label="x", created_at=at) for _ in range(count)]
    )


def clear_failed_logins() -> None:
    AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN_FAILED).delete()
