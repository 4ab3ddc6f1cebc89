"""GenAI attributes to AI-call fields: current and older names, configurable identities, status."""

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan

from ailogs.models import AiCall
from tests.traces.helpers import answer, export, genai_attributes, post, span

pytestmark = pytest.mark.django_db


def ingest(api_client, *spans, resource=None) -> AiCall:
    assert post(api_client("traces:write"), export(*spans, resource=resource)).status_code == 200
    return AiCall.objects.get()


def test_older_names_are_read_when_the_current_ones_are_absent(api_client):
    old = {
        "gen_ai.system": "anthropic",
        "gen_ai.request.model": "claude-sonnet-4",
        "gen_ai.usage.prompt_tokens": 300,
        "gen_ai.usage.completion_tokens": 40,
        "llm.usage.total_tokens": 340,
    }
    call = ingest(api_client, span("anthropic.chat", attributes=old))
    assert (call.provider, call.model, call.prompt_tokens, call.completion_tokens, call.total_tokens) == (
        "anthropic",
        "claude-sonnet-4",
        300,
        40,
        340,
    )


def test_identities_come_from_the_span_first_then_the_resource(api_client):
    attributes = genai_attributes(**{"enduser.id": "u-7", "gen_ai.conversation.id": "conv-1"})
    call = ingest(api_client, span("chat", attributes=attributes), resource={"tenant.id": "acme", "user.id": "ignored"})
    assert (call.tenant, call.user_id, call.session_id) == ("acme", "u-7", "conv-1")


def test_the_attribute_names_are_configurable(api_client, settings):
    settings.TRACES_TENANT_ATTRIBUTES = ["org.slug"]
    settings.TRACES_SESSION_ATTRIBUTES = ["thread.id"]
    attributes = genai_attributes(**{"org.slug": "globex", "thread.id": "t-1", "session.id": "not-this"})
    call = ingest(api_client, span("chat", attributes=attributes))
    assert (call.tenant, call.session_id) == ("globex", "t-1")


def test_error_type_or_an_error_status_make_a_failed_call(api_client):
    timeout = genai_attributes(**{"error.type": "openai.APITimeoutError"})
    failed = span("chat", attributes=genai_attributes(), error="rate limited by provider")
    client = api_client("traces:write")
    assert post(client, export(span("a", attributes=timeout), failed)).status_code == 200
    calls = {c.status: c for c in AiCall.objects.all()}
    assert calls["timeout"].error_message == "openai.APITimeoutError"
    assert calls["error"].error_message == "rate limited by provider"


def test_a_reported_cost_and_cached_tokens_are_kept(api_client):
    attributes = genai_attributes(**{"gen_ai.usage.cost": 0.0123, "gen_ai.usage.cache_read.input_tokens": 64})
    call = ingest(api_client, span("chat", attributes=attributes))
    assert call.cost_usd == pytest.approx(0.0123)
    assert call.cost_source == "reported"
    assert call.metadata["cached_tokens"] == 64


def test_spans_without_genai_attributes_are_not_ai_calls(api_client):
    client = api_client("traces:write")
    tool = span("lookup_order", attributes={"tool.name": "orders", "session.id": "s"})
    assert post(client, export(tool)).status_code == 200
    assert not AiCall.objects.exists()


def test_a_nul_character_in_an_attribute_is_refused_with_its_name(api_client):
    response = post(api_client("traces:write"), export(span("x", attributes={"prompt.note": "a\x00b"})))
    assert answer(response).partial_success.rejected_spans == 1
    assert "prompt.note" in answer(response).partial_success.error_message


def test_span_kinds_are_stored(api_client):
    from traces.models import Span, SpanKind

    server = span("GET /ask")
    server.kind = ProtoSpan.SPAN_KIND_SERVER
    post(api_client("traces:write"), export(server))
    assert Span.objects.get().kind == SpanKind.SERVER
