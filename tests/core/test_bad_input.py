"""Bad input gets a clear 4xx from the shared layers, whatever endpoint it is sent to."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from monitoring_site import prometheus

pytestmark = pytest.mark.django_db


def test_a_nul_character_anywhere_in_a_json_body_is_a_400_naming_where(api_client):
    client = api_client("metrics:write")
    body = json.dumps([{"name": "ok", "value": 1}, {"name": "x", "value": 1, "tags": {"k": "a\x00b"}}])
    response = client.post("/api/v1/metrics/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].endswith("[1].tags.k.")


def test_an_escaped_backslash_u0000_is_ordinary_text(api_client):
    client = api_client("metrics:write")
    body = json.dumps({"name": "ok", "value": 1, "tags": {"k": "\\u0000"}})
    assert client.post("/api/v1/metrics/", body, content_type="application/json").status_code == 201


def test_a_nul_in_the_query_string_is_a_400(api_client):
    response = api_client("ailogs:read").get("/api/v1/ai-logs/?function=%00")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_an_unsupported_method_is_405_not_403(api_client):
    response = api_client("metrics:read", "metrics:write").get("/api/v1/metrics/")
    assert response.status_code == 405


def test_the_bearer_scheme_is_case_insensitive(api_client):
    client = api_client("metrics:read")
    client.credentials(HTTP_AUTHORIZATION=f"bearer {client.raw_key}")
    assert client.get("/api/v1/auth/check/").status_code == 200


def test_a_moderator_gets_403_not_404_on_admin_apps_they_may_not_see(client_for, mo):
    client = client_for(mo)
    for app in ("ailogs", "metrics", "monitoring_site"):
        assert client.get(f"/admin/{app}/").status_code == 403
    assert client.get("/admin/feedback/").status_code == 200
    assert client.get("/admin/nosuchapp/").status_code == 404


def test_metrics_still_answers_when_a_collector_fails(client):
    class Broken:
        def collect(self):
            raise RuntimeError("database is down")

    guarded = prometheus.register(Broken())
    try:
        response = client.get("/metrics")
    finally:
        prometheus.app_registry.unregister(guarded)
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


@pytest.mark.parametrize("args", [["--expires-days", "-1"], ["--expires-days", "0"], ["--rate-limit", "0"]])
def test_create_api_key_refuses_nonsense_limits(args):
    with pytest.raises(CommandError, match="must be 1 or more"):
        call_command("create_api_key", "svc", "--scopes", "ailogs:write", *args, stdout=StringIO())
