"""Property-based bad-input tests (issue 13): arbitrary JSON in every field of every hand-validated body.

Each test posts a valid item with one field replaced by a generated JSON value, through the real
endpoint, so it holds for whatever validates behind it (hand-written checks, msgspec, a serializer).
The properties: never a 5xx; a 400 names the field; a 201 stored exactly one item.

A new ingest endpoint or field joins by a line in ENDPOINTS (CONTRIBUTING.md: bad-input tests come
with every new endpoint or field).
"""

import json
import os
import uuid
from dataclasses import dataclass

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.models import FeedbackSite
from feedback.spam import render_token

pytestmark = pytest.mark.django_db

# Values a client may send: every JSON type, the edges that once broke a validator (unhashable
# containers, integers beyond float, NUL, lone surrogates, very long text), and valid-looking
# values so that the accepting path is exercised too.
EDGES = st.sampled_from(
    [
        10**400,
        -(10**400),
        2**63,
        2**31,
        -1,
        1e300,
        1.5,
        "",
        " ",
        "\x00",
        "\ud800",
        "a\udfffb",
        "x" * 300,
        "x" * 5000,
        "x" * 100_001,
        "success",
        "error",
        "counter",
        "gauge",
        "bug",
        "high",
        "1280x800",
        "https://shop.example/a",
        "a@example.com",
        "0" * 64,
        "2026-01-01T00:00:00",
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+23:59",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | EDGES
    | st.builds(lambda: str(uuid.uuid4()))
    | st.builds(lambda: timezone.now().isoformat())
)
KEYS = st.sampled_from(["cached_tokens", "a", "k.1", "__x", "\x00", "\ud800"]) | st.text(max_size=8)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


@dataclass(frozen=True)
class Endpoint:
    path: str
    valid: dict
    fields: tuple[str, ...]
    scope: str = ""  # the API key's scope; "" posts as the feedback widget does


ENDPOINTS = {
    "ai-logs": Endpoint(
        "/api/v1/ai-logs/",
        {"function": "f", "model": "gpt-4o-mini", "provider": "openai", "duration_ms": 12},
        (
            "event_id",
            "function",
            "provider",
            "model",
            "status",
            "duration_ms",
            "prompt_tokens",
            "completion_tokens",
            "total_tokens",
            "cost_usd",
            "input",
            "input_hash",
            "output_preview",
            "error_message",
            "user_id",
            "session_id",
            "tenant",
            "actor_type",
            "trace_id",
            "timestamp",
            "metadata",
        ),  # fmt: skip
        "ailogs:write",
    ),
    "metrics": Endpoint(
        "/api/v1/metrics/",
        {"name": "queue_depth", "value": 3},
        ("name", "type", "value", "unit", "tags", "source", "route", "timestamp", "event_id"),
        "metrics:write",
    ),
    "feedback": Endpoint(
        "/api/v1/feedback/",
        {"message": "The answer was wrong.", "category": "bug"},
        (
            "site_key",
            "message",
            "category",
            "priority",
            "email",
            "page_url",
            "user_id",
            "trace_id",
            "viewport",
            "metadata",
            "website",
            "token",
        ),  # fmt: skip
    ),
}
ORIGIN = "https://shop.example"
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),  # CI draws the same examples each run; a developer's run explores
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def poster(api_client, settings):
    """poster(endpoint) returns post(body) sending it as that endpoint's client would."""
    settings.FEEDBACK_RATE_PER_MINUTE = settings.FEEDBACK_RATE_PER_DAY = 10**6
    settings.FEEDBACK_SITE_RATE_PER_MINUTE = 10**6
    site = FeedbackSite.objects.create(name="Shop", allowed_origins=ORIGIN)

    def make(endpoint: Endpoint):
        if endpoint.scope:
            client = api_client(endpoint.scope)
            return lambda body: client.post(endpoint.path, body, content_type="application/json"), {}
        from django.test import Client

        client = Client()
        defaults = {"site_key": site.public_key, "token": render_token(site.public_key)}
        return lambda body: client.post(
            endpoint.path, body, content_type="application/json", headers={"Origin": ORIGIN}
        ), defaults

    return make


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 300 else text[:300] + "..."


def _assert_clean_answer(response, field: str, sent: dict) -> None:
    seen = f"{_short(sent)} -> {response.status_code} {_short(response.content)}"
    assert response.status_code < 500, seen
    if response.status_code == 413 or (field == "site_key" and response.status_code == 403):
        return  # a body over the size limit; an unknown site key is refused before the body is read
    assert response.status_code in (201, 400), seen
    body = response.json()
    if response.status_code == 201:
        if "accepted" in body:
            assert body["accepted"] + body["duplicates"] == 1, seen
        return
    # 400: the field is named, as a key of the item's errors or in the parser's detail.
    if "errors" in body:
        named = set(body["errors"][0]["errors"])
    elif "detail" in body:
        named = {field} if field in body["detail"] else set()
    else:
        named = set(body)
    assert field in named or (field == "input" and "input_hash" in named), seen


@pytest.mark.parametrize("name", ENDPOINTS)
@FUZZ
@given(data=st.data())
def test_any_json_value_in_any_field_gets_a_clean_answer_naming_the_field(poster, name, data):
    endpoint = ENDPOINTS[name]
    post, defaults = poster(endpoint)
    field = data.draw(st.sampled_from(endpoint.fields), label="field")
    value = data.draw(JSON, label="value")
    sent = {**defaults, **endpoint.valid, field: value}
    _assert_clean_answer(post(json.dumps(sent)), field, sent)


@pytest.mark.parametrize("name", ENDPOINTS)
@settings(FUZZ, max_examples=40)
@given(body=JSON)
def test_any_json_document_as_the_whole_body_gets_a_4xx(poster, name, body):
    post, _ = poster(ENDPOINTS[name])
    response = post(json.dumps(body))
    assert 400 <= response.status_code < 500 or response.status_code == 201, (_short(body), _short(response.content))


@pytest.mark.parametrize("name", ["ai-logs", "metrics"])
@settings(FUZZ, max_examples=40)
@given(items=st.lists(JSON, min_size=1, max_size=5))
def test_a_batch_of_arbitrary_items_is_answered_per_item(poster, name, items):
    post, _ = poster(ENDPOINTS[name])
    response = post(json.dumps(items))
    assert response.status_code in (201, 207, 400, 413), (_short(items), _short(response.content))
    body = response.json()
    if "errors" in body:  # a per-item answer (not the parser's detail): every item is accounted for
        assert body["accepted"] + body["duplicates"] + len(body["errors"]) == len(items)
