import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections

from monitoring_site.models import AuditEvent

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


def test_check_deploy_with_production_variables_reports_no_warnings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "x9$kq!pV3mZ7@wL2#rT8^nB5&hD1*fG6(jK4)sA0-uY3+eC7=iO9",
            "DJANGO_ALLOWED_HOSTS": "monitoring.example.com",
            "VAR_DIR": str(tmp_path),
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_responses_carry_the_security_headers(client):
    response = client.get("/admin/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = response["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"):
        assert directive in csp


def login(client, password, ip):
    return client.post("/admin/login/?next=/admin/", {"username": "alice", "password": password}, REMOTE_ADDR=ip)


def test_brute_force_is_locked_per_username_and_address_with_429(client, alice):
    for _ in range(4):
        assert login(client, "wrong", "203.0.113.9").status_code == 200
    assert login(client, "wrong", "203.0.113.9").status_code == 429  # the fifth failure locks
    locked = login(client, PASSWORD, "203.0.113.9")
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"  # the 15-minute cool-off, in seconds, like every other 429
    assert AuditEvent.objects.filter(kind="login_failed", actor_label="alice").count() >= 5


def test_a_lockout_from_one_address_does_not_lock_the_admin_out_elsewhere(client, alice):
    for _ in range(6):
        login(client, "wrong", "203.0.113.9")
    response = login(client, PASSWORD, "198.51.100.7")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_a_body_over_the_limit_gets_413_as_json(api_client, settings):
    settings.API_MAX_BODY_BYTES = 1000
    client = api_client("metrics:read")
    response = client.post("/api/v1/auth/check/", data="x" * 2000, content_type="application/json")
    assert response.status_code == 413
    assert "larger than 1000 bytes" in response.json()["detail"]


def test_api_answers_503_with_retry_after_when_the_database_is_unreachable(api_client, monkeypatch):
    client = api_client("metrics:read")
    from monitoring_site.api_keys import key_cache

    key_cache.clear()
    conn = connections["default"]

    # What Django raises when the server refuses the connection (health tests use a real closed port).
    def fail_to_connect(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("connection refused (test)")

    monkeypatch.setattr(conn, "ensure_connection", fail_to_connect)
    response = client.get("/api/v1/auth/check/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Database unavailable" in response.json()["detail"]
