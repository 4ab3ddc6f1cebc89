"""Issue 13: the inputs that once answered 500 now get a 400 naming the field, on every endpoint."""

import json

import pytest

from ailogs.ingest import ERROR_MESSAGE_CHARS, LONG_TEXT_CHARS
from ailogs.models import AiCall
from monitoring_site.lib import outbound

pytestmark = pytest.mark.django_db

EVENT = {"function": "f", "model": "m", "duration_ms": 1}


def post(client, path: str, body: str):
    return client.post(path, body, content_type="application/json")


@pytest.mark.parametrize("depth", [33, 1000, 8000])
def test_json_nested_too_deep_is_a_400_on_the_public_feedback_endpoint(client, depth):
    response = client.post("/api/v1/feedback/", "[" * depth + "]" * depth, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper than 32 levels" in response.json()["detail"]


def test_json_nested_too_deep_is_a_400_naming_where(api_client):
    deep: dict = {}
    for _ in range(40):
        deep = {"a": deep}
    response = post(api_client("ailogs:write"), "/api/v1/ai-logs/", json.dumps([EVENT, {**EVENT, "metadata": deep}]))
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON nested deeper than 32 levels at: [1].metadata.a.a")
    assert AiCall.objects.count() == 0


def test_json_nested_up_to_the_limit_is_accepted(api_client):
    deep: dict = {"leaf": 1}
    for _ in range(29):  # body list + event + metadata + 29 levels = 32
        deep = {"a": deep}
    response = post(api_client("ailogs:write"), "/api/v1/ai-logs/", json.dumps([{**EVENT, "metadata": deep}]))
    assert response.status_code == 201


@pytest.mark.parametrize("status", [[1], {"a": 1}, 0, False, "", 1.5])
def test_a_non_string_status_is_a_400_naming_status(api_client, status):
    response = post(api_client("ailogs:write"), "/api/v1/ai-logs/", json.dumps({**EVENT, "status": status}))
    assert response.status_code == 400
    assert "status" in response.json()["errors"][0]["errors"]


@pytest.mark.parametrize("kind", [[1], {"a": 1}, 3])
def test_a_non_string_metric_type_is_a_400_naming_type(api_client, kind):
    response = post(
        api_client("metrics:write"), "/api/v1/metrics/", json.dumps({"name": "x", "value": 1, "type": kind})
    )
    assert response.status_code == 400
    assert "type" in response.json()["errors"][0]["errors"]


@pytest.mark.parametrize("field", ["duration_ms", "cost_usd"])
def test_an_integer_too_large_for_a_float_is_a_400(api_client, field):
    body = json.dumps({**EVENT, field: 1}).replace(f'"{field}": 1', f'"{field}": {"9" * 400}')
    response = post(api_client("ailogs:write"), "/api/v1/ai-logs/", body)
    assert response.status_code == 400
    assert field in response.json()["errors"][0]["errors"]


def test_an_integer_too_large_for_a_float_is_a_400_for_a_metric_value(api_client):
    response = post(api_client("metrics:write"), "/api/v1/metrics/", '{"name": "x", "value": ' + "9" * 400 + "}")
    assert response.status_code == 400
    assert "value" in response.json()["errors"][0]["errors"]


@pytest.mark.parametrize(
    ("path", "scope", "body", "where"),
    [
        ("/api/v1/ai-logs/", "ailogs:write", '{"function": "f\\ud800", "duration_ms": 1}', ": function."),
        (
            "/api/v1/ai-logs/",
            "ailogs:write",
            '[{"function": "f", "duration_ms": 1, "tenant": "\\udfff"}]',
            "[0].tenant.",
        ),
        ("/api/v1/ai-logs/", "ailogs:write", '{"function": "f", "duration_ms": 1, "input": "\\udc00x"}', ": input."),
        ("/api/v1/metrics/", "metrics:write", '{"name": "x", "value": 1, "tags": {"\\ud800": "v"}}', ": tags.\\ud800."),
        ("/api/v1/alert-rules/", "alerts:write", '{"name": "\\ud800"}', ": name."),
    ],
)
def test_a_lone_surrogate_is_a_400_naming_the_field(api_client, path, scope, body, where):
    response = post(api_client(scope), path, body)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("Lone UTF-16 surrogates") and detail.endswith(where)


def test_a_lone_surrogate_in_feedback_is_a_400(client):
    response = client.post("/api/v1/feedback/", '{"message": "hi \\ud800"}', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].endswith(": message.")


def test_an_escaped_surrogate_pair_is_an_ordinary_character(api_client):
    body = '{"function": "f", "duration_ms": 1, "error_message": "\\ud83d\\ude00"}'
    assert post(api_client("ailogs:write"), "/api/v1/ai-logs/", body).status_code == 201
    assert AiCall.objects.get().error_message == "\U0001f600"


def test_a_long_error_message_is_stored_cut_and_marked(api_client):
    message = "e" * (ERROR_MESSAGE_CHARS + 10)
    body = json.dumps({**EVENT, "error_message": message, "output_preview": "o" * 501})
    assert post(api_client("ailogs:write"), "/api/v1/ai-logs/", body).status_code == 201
    stored = AiCall.objects.get()
    assert stored.error_message == "e" * (ERROR_MESSAGE_CHARS - 1) + "…"
    assert stored.output_preview == "o" * 499 + "…"


def test_text_that_fits_is_stored_as_sent(api_client):
    body = json.dumps({**EVENT, "error_message": "e" * ERROR_MESSAGE_CHARS, "output_preview": "o" * 500})
    assert post(api_client("ailogs:write"), "/api/v1/ai-logs/", body).status_code == 201
    assert AiCall.objects.get().error_message == "e" * ERROR_MESSAGE_CHARS


@pytest.mark.parametrize("field", ["error_message", "output_preview"])
def test_far_too_long_text_is_refused_with_its_limit(api_client, field):
    body = json.dumps({**EVENT, field: "x" * (LONG_TEXT_CHARS + 1)})
    response = post(api_client("ailogs:write"), "/api/v1/ai-logs/", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["errors"][field] == [
        f"Ensure this field has no more than {LONG_TEXT_CHARS} characters."
    ]


@pytest.mark.parametrize("url", ["https://example.com:0/", "https://example.com:0", "https://example.com:00/x"])
def test_port_zero_is_refused_by_the_url_check(url):
    with pytest.raises(outbound.BlockedURL, match="port 0"):
        outbound.parse(url)


# --- Found by the schemathesis run (tests/core/test_api_schemathesis.py) ---------------------


def test_an_alert_filter_rule_id_beyond_a_bigint_is_a_400_not_a_500(api_client):
    response = api_client("alerts:read").get("/api/v1/alerts/?rule=2786653474669939654924435456")
    assert response.status_code == 400
    assert "rule" in response.json()


@pytest.mark.parametrize("page_size", ["abc", "", "0", "1001", "-5"])
def test_a_bad_page_size_is_a_400_not_quietly_the_default(api_client, page_size):
    for path, scope in (("/api/v1/ai-logs/", "ailogs:read"), ("/api/v1/alerts/", "alerts:read")):
        response = api_client(scope).get(path, {"page_size": page_size})
        assert response.status_code == 400
        assert response.json()["page_size"] == ["Use a whole number from 1 to 1000."]


def test_an_unknown_api_path_answers_json(api_client):
    response = api_client("alerts:write").delete("/api/v1/alert-rules/1.5e-38/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_feedback_message_longer_than_its_limit_as_sent_is_refused(client_for, uma):
    client = client_for(uma)
    response = client.post(
        "/api/v1/feedback/", json.dumps({"message": " " + "m" * 5000}), content_type="application/json"
    )
    assert response.status_code == 400
    assert "message" in response.json()
    accepted = client.post("/api/v1/feedback/", json.dumps({"message": " m "}), content_type="application/json")
    assert accepted.status_code == 201
