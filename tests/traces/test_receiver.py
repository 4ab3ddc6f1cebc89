"""POST /api/v1/otel/v1/traces answers as the OTLP/HTTP spec says, in the request's encoding."""

import gzip
import json
import uuid

import pytest
from django.db import connections

from ailogs.models import AiCall
from tests.ailogs.helpers import price
from tests.traces.helpers import (
    PROTOBUF,
    URL,
    answer,
    export,
    genai_attributes,
    new_span_id,
    new_trace_id,
    post,
    span,
    status_of,
)
from traces.ingest import EVENT_NAMESPACE
from traces.models import Span

pytestmark = pytest.mark.django_db


def test_it_stores_spans_with_their_parent_and_a_genai_span_as_a_priced_ai_call(api_client):
    price(pattern="gpt-4o-mini*", inp="0.15", out="0.60")
    trace_id, root = new_trace_id(), new_span_id()
    chat = span("chat gpt-4o-mini", trace_id, parent=root, attributes=genai_attributes(**{"session.id": "s-1"}))
    response = post(api_client("traces:write"), export(span("answer_question", trace_id, root), chat))
    assert response.status_code == 200
    assert not answer(response).HasField("partial_success")
    stored = {s.name: s for s in Span.objects.all()}
    assert stored["chat gpt-4o-mini"].parent_span_id == root.hex()
    assert stored["answer_question"].service_name == "checkout-bot"
    call = AiCall.objects.get()
    assert (call.trace_id, call.model, call.provider) == (trace_id.hex(), "gpt-4o-mini-2024-07-18", "openai")
    assert (call.prompt_tokens, call.completion_tokens, call.total_tokens) == (100, 20, 120)
    assert call.cost_usd == pytest.approx((100 * 0.15 + 20 * 0.60) / 1e6)
    assert call.session_id == "s-1"
    assert call.metadata["span_id"] == chat.span_id.hex()


def test_a_repeated_export_stores_nothing_twice(api_client):
    client = api_client("ailogs:write")  # an AI-logs key is accepted too
    message = export(span("root"), span("chat", attributes=genai_attributes()))
    assert post(client, message).status_code == 200
    assert post(client, message).status_code == 200
    assert (Span.objects.count(), AiCall.objects.count()) == (2, 1)


def test_a_large_export_sent_again_with_new_spans_stores_only_the_new_ones(api_client):
    # Over 20 spans an export goes through COPY and ON CONFLICT on the day partition's unique
    # index (fewer take one INSERT ... VALUES): both must recognise a repeat.
    client = api_client("traces:write")
    first = [span(f"step {i}", attributes=genai_attributes() if i % 3 == 0 else None) for i in range(30)]
    assert post(client, export(*first)).status_code == 200
    again = first + [span(f"new {i}") for i in range(5)]
    response = post(client, export(*again))
    assert response.status_code == 200 and not answer(response).HasField("partial_success")
    assert Span.objects.count() == 35
    assert AiCall.objects.count() == 10
    assert Span.objects.filter(name="step 7").count() == 1


def test_a_genai_spans_call_keeps_the_event_id_derived_from_trace_and_span_id(api_client):
    # An exporter's retry that straddles an upgrade must find the same event id: never change it.
    chat = span("chat", attributes=genai_attributes())
    assert post(api_client("traces:write"), export(chat)).status_code == 200
    key = chat.trace_id.hex() + chat.span_id.hex()
    assert AiCall.objects.get().event_id == uuid.uuid5(EVENT_NAMESPACE, key)


def test_it_reports_partial_success_naming_the_first_problem(api_client):
    bad = span("broken", trace_id=b"\x00" * 16)
    response = post(api_client("traces:write"), export(span("fine"), bad, span("also bad", span_id=b"\x01")))
    partial = answer(response).partial_success
    assert response.status_code == 200
    assert partial.rejected_spans == 2
    assert "trace_id must be 16 bytes" in partial.error_message
    assert "and 1 more" in partial.error_message
    assert list(Span.objects.values_list("name", flat=True)) == ["fine"]


def test_a_genai_span_the_ai_log_refuses_is_rejected_with_the_field_named(api_client):
    wrong = span("chat", attributes=genai_attributes(**{"gen_ai.usage.input_tokens": "lots"}))
    response = post(api_client("traces:write"), export(wrong, span("ok")))
    partial = answer(response).partial_success
    assert partial.rejected_spans == 1
    assert "prompt_tokens" in partial.error_message
    assert (Span.objects.count(), AiCall.objects.count()) == (1, 0)


def test_spans_older_than_retention_are_refused(api_client, settings):
    settings.SPANS_RETENTION_DAYS = 1
    old = span("old", start_ns=1_600_000_000 * 10**9)
    partial = answer(post(api_client("traces:write"), export(old))).partial_success
    assert partial.rejected_spans == 1
    assert "older than the retention period (1 days)" in partial.error_message


def test_it_accepts_gzip(api_client):
    body = gzip.compress(export(span("zipped")).SerializeToString())
    response = post(api_client("traces:write"), body, **{"Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert Span.objects.get().name == "zipped"


@pytest.mark.parametrize(
    ("body", "headers", "says"),
    [
        (b"\x0a\xff\xff\xff\xff\x0f", {}, "not a valid protobuf"),
        (b"not gzip at all", {"Content-Encoding": "gzip"}, "not valid gzip"),
    ],
)
def test_an_undecodable_body_is_a_400_with_a_status_message(api_client, body, headers, says):
    response = post(api_client("traces:write"), body, **headers)
    assert response.status_code == 400
    assert response["Content-Type"] == PROTOBUF
    assert says in status_of(response).message
    assert not Span.objects.exists()


def test_otlp_json_with_hex_ids_is_answered_in_json(api_client):
    trace_id, parent = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-svc"}}]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": "eee19b7ec3c1b173",
                                "parentSpanId": parent,
                                "name": "chat",
                                "kind": 3,
                                "startTimeUnixNano": "1796000000000000000",
                                "endTimeUnixNano": "1796000000250000000",
                                "attributes": [
                                    {"key": "gen_ai.system", "value": {"stringValue": "openai"}},
                                    {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
                                    {"key": "gen_ai.usage.prompt_tokens", "value": {"intValue": "11"}},
                                    {"key": "gen_ai.usage.completion_tokens", "value": {"intValue": 7}},
                                ],
                            },
                            {"traceId": "zz", "spanId": "eee19b7ec3c1b175", "name": "bad id"},
                        ]
                    }
                ],
            }
        ]
    }
    response = post(api_client("traces:write"), json.dumps(body).encode(), content_type="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] in (1, "1")  # int64 is a string in the protobuf JSON mapping
    assert "trace_id" in partial["errorMessage"]
    stored = Span.objects.get()
    assert (stored.trace_id, stored.parent_span_id, stored.duration_ms) == (trace_id, parent, 250.0)
    call = AiCall.objects.get()  # the older semantic-convention names
    assert (call.provider, call.model, call.prompt_tokens, call.completion_tokens) == ("openai", "gpt-4o", 11, 7)


def test_a_json_body_that_is_not_an_export_is_a_400_in_json(api_client):
    response = post(api_client("traces:write"), b"[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert "JSON object" in response.json()["message"]


def test_other_media_types_are_refused_with_415(api_client):
    response = post(api_client("traces:write"), b"hello", content_type="text/plain")
    assert response.status_code == 415


def test_it_answers_401_without_a_key_and_403_without_the_scope(client, api_client):
    response = client.post(URL, data=export(span()).SerializeToString(), content_type=PROTOBUF)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert status_of(response).code == 16
    response = post(api_client("metrics:write"), export(span()))
    assert response.status_code == 403
    assert "traces:write" in status_of(response).message


def test_it_answers_413_over_the_body_limit_also_once_decompressed(api_client, settings):
    settings.API_MAX_BODY_BYTES = 2_000
    big = export(span("wide", attributes={"padding": "x" * 50_000})).SerializeToString()
    client = api_client("traces:write")
    assert post(client, big).status_code == 413
    bomb = gzip.compress(big)
    assert len(bomb) < 2_000
    assert post(client, bomb, **{"Content-Encoding": "gzip"}).status_code == 413
    assert not Span.objects.exists()


def test_it_answers_429_with_retry_after_over_the_key_rate(api_client):
    import time_machine

    client = api_client("traces:write", rate_limit_per_minute=1)
    with time_machine.travel("2026-11-23 12:00:30Z", tick=False):
        assert post(client, export()).status_code == 200
        response = post(client, export())
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert status_of(response).code == 8


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_with_retry_after_when_the_database_is_down(api_client, monkeypatch):
    client = api_client("traces:write")
    post(client, export())  # caches the key so auth does not need the database
    connection = connections["default"]
    connection.close()
    if connection.vendor == "postgresql":
        monkeypatch.setitem(connection.settings_dict, "PORT", "1")
    else:
        monkeypatch.setitem(connection.settings_dict, "NAME", "/nonexistent/dir/db.sqlite3")
    try:
        response = post(client, export(span()))
    finally:
        connection.close()
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert status_of(response).code == 14


@pytest.mark.parametrize("spans", [1, 30], ids=["one statement", "copy"])
def test_non_finite_attribute_values_are_stored_as_null_not_a_500(api_client, spans):
    """JSON has no NaN or Infinity: PostgreSQL refuses them in jsonb, so they arrive as null."""
    weird = {"score": float("nan"), "ratio": float("inf"), "floor": float("-inf"), "ok": 1.5}
    response = post(api_client("traces:write"), export(*[span(f"s{i}", attributes=weird) for i in range(spans)]))
    assert response.status_code == 200, response.content
    assert not answer(response).HasField("partial_success")
    stored = Span.objects.order_by("name").first()
    assert Span.objects.count() == spans
    assert stored.attributes == {"score": None, "ratio": None, "floor": None, "ok": 1.5}


def test_unknown_kind_and_status_numbers_are_stored_as_unspecified_not_a_500(api_client):
    """Protobuf enums are open: an exporter may send any int32 as kind or status code."""
    odd = span("odd")
    odd.kind, odd.status.code = 32768, 70000
    response = post(api_client("traces:write"), export(odd))
    assert response.status_code == 200, response.content
    stored = Span.objects.get()
    assert (stored.kind, stored.status_code) == (0, 0)
