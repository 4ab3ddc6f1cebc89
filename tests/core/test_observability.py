import json
import logging

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from monitoring_site.logging import JsonFormatter, RequestContextFilter, request_id_var
from monitoring_site.models import ApiKey
from monitoring_site.sentry import SCRUBBED, before_send, scrub

pytestmark = pytest.mark.django_db


def test_metrics_exposes_django_prometheus_request_and_db_metrics(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "django_db_execute_total" in text or "django_db_new_connections_total" in text


def test_metrics_requires_the_token_when_set(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 200


def test_scrub_filters_sensitive_keys_at_any_depth():
    event = {
        "request": {
            "headers": {"Authorization": "Bearer abc", "X-Api-Key": "k", "User-Agent": "ua"},
            "cookies": "sessionid=1",
        },
        "extra": {
            "deep": [{"config": {"db_password": "hunter2", "webhook_url": "https://hooks.slack.com/services/T/B/X"}}]
        },
        "contexts": {"trace": {"trace_id": "keep-me"}},
    }
    scrubbed = scrub(event)
    assert scrubbed["request"]["headers"]["Authorization"] == SCRUBBED
    assert scrubbed["request"]["headers"]["X-Api-Key"] == SCRUBBED
    assert scrubbed["request"]["headers"]["User-Agent"] == "ua"
    assert scrubbed["request"]["cookies"] == SCRUBBED
    assert scrubbed["extra"]["deep"][0]["config"]["db_password"] == SCRUBBED
    assert scrubbed["extra"]["deep"][0]["config"]["webhook_url"] == SCRUBBED
    assert scrubbed["contexts"]["trace"]["trace_id"] == "keep-me"


class CapturingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)


def test_before_send_redacts_our_key_format_inside_exception_messages():
    _, raw = ApiKey.issue("svc", ["ailogs:write"])
    transport = CapturingTransport()
    sentry_sdk.init(
        dsn="http://public@127.0.0.1:1/1", transport=transport, before_send=before_send, send_default_pii=False
    )
    try:
        try:
            raise ValueError(f"bad key {raw} for tenant acme")
        except ValueError:
            sentry_sdk.capture_exception()
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)
    payload = "".join(item.payload.get_bytes().decode() for env in transport.envelopes for item in env.items)
    assert "bad key" in payload and "acme" in payload
    assert raw not in payload
    assert raw[:16] not in payload


def test_json_log_lines_carry_the_request_context():
    handler_stream = []

    class ListHandler(logging.Handler):
        def emit(self, record):
            handler_stream.append(self.format(record))

    handler = ListHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("tests.json")
    logger.addHandler(handler)
    token = request_id_var.set("req-123")
    try:
        logger.warning("slow call", extra={"duration_ms": 12.5})
    finally:
        request_id_var.reset(token)
        logger.removeHandler(handler)
    line = json.loads(handler_stream[0])
    assert line["message"] == "slow call"
    assert line["level"] == "WARNING"
    assert line["logger"] == "tests.json"
    assert line["request_id"] == "req-123"
    assert line["duration_ms"] == 12.5
    assert {"timestamp", "module", "function", "line", "user_id"} <= set(line)


def test_request_id_is_honoured_or_created(client):
    assert client.get("/healthz?live", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    created = client.get("/healthz?live")["X-Request-ID"]
    assert len(created) == 32
    unsafe = client.get("/healthz?live", HTTP_X_REQUEST_ID="bad\nvalue")["X-Request-ID"]
    assert unsafe != "bad\nvalue"


def test_request_log_line_has_duration_and_request_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="monitoring_site.request"):
        client.get("/healthz?live", HTTP_X_REQUEST_ID="trace-me")
    record = next(r for r in caplog.records if r.name == "monitoring_site.request")
    assert record.duration_ms >= 0
    assert record.status == 200
    assert record.request_id == "trace-me"


def test_request_log_line_is_the_access_log(client, caplog):
    """One line per request (gunicorn writes no access log of its own, see the Procfile)."""
    with caplog.at_level(logging.INFO, logger="monitoring_site.request"):
        client.get("/healthz?live", REMOTE_ADDR="203.0.113.9")
    (record,) = [r for r in caplog.records if r.name == "monitoring_site.request"]
    assert record.remote_addr == "203.0.113.9"
    assert record.getMessage().startswith("GET /healthz 200 ") and record.getMessage().endswith(" ms 203.0.113.9")
