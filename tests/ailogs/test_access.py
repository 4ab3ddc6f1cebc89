import pytest
from django.db import connections

from tests.ailogs.helpers import event

URL = "/api/v1/ai-logs/"


def test_it_requires_a_key(client, db):
    assert client.post(URL, event(), content_type="application/json").status_code in (401, 403)
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code == 401


def test_it_rejects_an_invalid_key(db):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer msk_nope_nope")
    assert client.post(URL, event(), format="json").status_code == 401


@pytest.mark.parametrize(
    ("scope", "method", "path", "expected"),
    [
        ("ailogs:read", "post", URL, 403),
        ("metrics:write", "post", URL, 403),
        ("ailogs:write", "get", URL, 403),
        ("ailogs:write", "get", URL + "stats/", 403),
        ("ailogs:read", "get", URL, 200),
        ("ailogs:read", "get", URL + "stats/", 200),
    ],
)
def test_scopes(api_client, scope, method, path, expected):
    client = api_client(scope)
    response = getattr(client, method)(path, event(), format="json") if method == "post" else client.get(path)
    assert response.status_code == expected


def test_admins_may_read_by_session_but_moderators_may_not(client_for, alice, mo):
    assert client_for(alice).get(URL).status_code == 200
    assert client_for(mo).get(URL + "stats/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_with_retry_after_when_the_database_is_down(api_client, monkeypatch):
    client = api_client("ailogs:write")
    client.post(URL, event(), format="json")  # caches the key so auth does not need the database
    connection = connections["default"]
    connection.close()
    if connection.vendor == "postgresql":
        monkeypatch.setitem(connection.settings_dict, "PORT", "1")
    else:
        monkeypatch.setitem(connection.settings_dict, "NAME", "/nonexistent/dir/db.sqlite3")
    try:
        response = client.post(URL, [event()], format="json")
    finally:
        connection.close()
    assert response.status_code == 503
    assert response["Retry-After"]


def test_ingest_keeps_working_with_redis_down(api_client, monkeypatch, settings):
    from monitoring_site import throttling

    monkeypatch.setattr(throttling, "_cache_down_until", 0.0)
    client = api_client("ailogs:write")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    response = client.post(URL, [event(), event()], format="json")
    assert response.status_code == 201
    assert response.json()["accepted"] == 2


def test_it_answers_413_for_a_body_over_the_limit(api_client, settings):
    settings.API_MAX_BODY_BYTES = 2_000
    response = api_client("ailogs:write").post(URL, [event()] * 20, format="json")
    assert response.status_code == 413


def test_it_answers_429_with_retry_after_over_the_key_rate(api_client):
    import time_machine

    client = api_client("ailogs:write", rate_limit_per_minute=1)
    with time_machine.travel("2026-11-23 12:00:30Z", tick=False):  # both requests in one rate window
        assert client.post(URL, event(), format="json").status_code == 201
        response = client.post(URL, event(), format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
