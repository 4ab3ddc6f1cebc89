"""Health endpoints with each dependency up and down. Nothing shared is stopped: a setting is
pointed at a closed port (or an unopenable file) instead."""

from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from monitoring_site.models import Heartbeat

pytestmark = pytest.mark.django_db
CLOSED_PORT = 1


@pytest.fixture
def database_down(monkeypatch):
    """New database connections (the health probe opens its own) fail at once."""
    settings_dict = connections.settings["default"]
    if settings_dict["ENGINE"].endswith("sqlite3"):
        monkeypatch.setitem(settings_dict, "NAME", "/nonexistent-dir/db.sqlite3")
        monkeypatch.setitem(
            settings_dict, "TEST", {**settings_dict.get("TEST", {}), "NAME": "/nonexistent-dir/db.sqlite3"}
        )
    else:
        monkeypatch.setitem(settings_dict, "PORT", CLOSED_PORT)
        monkeypatch.setitem(settings_dict, "HOST", "127.0.0.1")


@pytest.fixture
def redis_down(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{CLOSED_PORT}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
        }
    }
    settings.CELERY_BROKER_URL = settings.REDIS_URL


def test_api_health_reports_every_service_and_system(client):
    Heartbeat.beat("scheduler")
    response = client.get("/api/health")
    body = response.json()
    assert set(body) >= {"status", "version", "timestamp", "uptime_seconds", "services", "system", "environment"}
    assert body["services"]["database"]["status"] == "connected"
    assert body["services"]["scheduler"]["status"] == "ok"
    assert set(body["system"]) == {"memory_used_percent", "memory_available_mb", "disk_free_percent"}
    assert set(body["environment"]) == {"debug", "log_level"}
    assert response.status_code == 200
    assert body["status"] in ("healthy", "limited")


def test_api_health_is_limited_when_the_scheduler_is_stale(client):
    Heartbeat.objects.create(name="scheduler", last_run=timezone.now() - timezone.timedelta(minutes=4))
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "limited"
    assert response.json()["services"]["scheduler"]["status"] == "stale"


def test_api_health_is_degraded_with_503_when_the_database_is_down(client, database_down):
    response = client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["services"]["database"]["status"] == "error"
    assert body["services"]["database"]["error"]


def test_api_health_is_degraded_when_configured_redis_is_down(client, redis_down):
    response = client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["services"]["cache"]["status"] == "error"
    assert body["services"]["broker"]["status"] == "error"


def test_healthz_is_ok_with_dependencies_up(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "connected"
    assert body["redis"] == ("connected" if settings.REDIS_URL else "not_configured")
    assert isinstance(body["uptimeSeconds"], int)


def test_healthz_fails_when_the_database_is_down(client, database_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_healthz_fails_when_redis_is_down(client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"] == "error"


def test_healthz_live_checks_the_process_only(client, database_down):
    response = client.get("/healthz?live")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.fixture
def beat_started(transactional_db):
    """Send beat_init in this process as `celery beat` does; stop its announcer before the flush."""
    from celery.signals import beat_init

    from monitoring_site import beats

    yield lambda: beat_init.send(sender=None)
    beats.stop_announcing()


def test_a_scheduler_that_just_started_is_starting_not_failed(beat_started):
    from monitoring_site import health
    from monitoring_site.models import Heartbeat

    assert health.check_scheduler()["status"] == "never_run"
    beat_started()  # what `celery beat` sends as it comes up
    assert health.check_scheduler()["status"] == "starting"
    body, _ = health.full_health()
    assert "scheduler has not run in the last 3 minutes" not in body.get("notes", [])

    Heartbeat.objects.filter(name=health.SCHEDULER_STARTED).update(last_run=timezone.now() - timedelta(minutes=4))
    assert health.check_scheduler()["status"] == "never_run"  # past its first interval: a failure again
