"""Arbitrary JSON in any field of an OTLP/JSON span is answered as OTLP says: never a 5xx.

A span the receiver cannot take is counted in partialSuccess with a message; a body it cannot read
is a 400 with a message; a span it takes is stored once. Same strategies as the other ingest
endpoints (tests/core/test_bad_input_properties.py).
"""

import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.core.test_bad_input_properties import FUZZ, JSON
from tests.traces.helpers import post
from traces.models import Span

pytestmark = pytest.mark.django_db
FIELDS = (
    "traceId",
    "spanId",
    "parentSpanId",
    "name",
    "kind",
    "startTimeUnixNano",
    "endTimeUnixNano",
    "status",
    "attributes",
    "events",
    "gen_ai.usage.input_tokens",  # the value of a GenAI attribute, read into an AI call
    "gen_ai.request.model",
)


def export_with(field: str, value) -> tuple[dict, str]:
    trace_id = uuid.uuid4().hex
    span = {
        "traceId": trace_id,
        "spanId": uuid.uuid4().hex[:16],
        "name": "chat",
        "kind": 3,
        "startTimeUnixNano": "1796000000000000000",
        "endTimeUnixNano": "1796000000250000000",
        "attributes": [
            {"key": "gen_ai.system", "value": {"stringValue": "openai"}},
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "11"}},
        ],
    }
    if field.startswith("gen_ai."):
        for attribute in span["attributes"]:
            if attribute["key"] == field:
                attribute["value"] = value
    else:
        span[field] = value
    return {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}, trace_id


@pytest.fixture
def send(api_client):
    client = api_client("traces:write")
    return lambda body: post(client, json.dumps(body).encode(), content_type="application/json")


@settings(FUZZ, max_examples=120)
@given(data=st.data())
def test_any_json_value_in_any_span_field_is_stored_rejected_or_a_400_never_a_5xx(send, data):
    field = data.draw(st.sampled_from(FIELDS), label="field")
    body, trace_id = export_with(field, data.draw(JSON, label="value"))
    response = send(body)
    seen = f"{field}: {json.dumps(body)[:300]} -> {response.status_code} {response.content[:300]!r}"
    assert response.status_code in (200, 400), seen
    answer = response.json()
    if response.status_code == 400:
        assert answer.get("message"), seen
        return
    partial = answer.get("partialSuccess") or {}
    if int(partial.get("rejectedSpans") or 0):
        assert partial.get("errorMessage"), seen
    else:
        assert Span.objects.filter(trace_id=trace_id).count() == 1, seen


@settings(FUZZ, max_examples=40)
@given(body=JSON)
def test_any_json_document_as_the_whole_export_gets_a_200_or_a_4xx(send, body):
    response = send(body)
    assert response.status_code == 200 or 400 <= response.status_code < 500, (body, response.content[:300])
