"""Clients nobody here wrote, against the live server: the OpenTelemetry SDK's OTLP/HTTP exporter,
and the official OpenAI instrumentation around the real `openai` package."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from ailogs.models import AiCall
from tests.ailogs.helpers import price
from traces.models import Span

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def otlp_env(live_server, api_client, monkeypatch):
    """Configure exporters the way a team would: two environment variables, nothing in code."""
    client = api_client("traces:write")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"{live_server.url}/api/v1/otel")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"Authorization=Bearer {client.raw_key}")
    return live_server


def provider_with(processor) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": "support-agent", "tenant.id": "acme"}))
    provider.add_span_processor(processor)
    return provider


def test_the_sdk_exporter_delivers_a_trace_with_its_genai_span(otlp_env, monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
    price(pattern="gpt-4o-mini*", inp="0.15", out="0.60")
    provider = provider_with(BatchSpanProcessor(OTLPSpanExporter()))
    tracer = provider.get_tracer("tests")
    with tracer.start_as_current_span("answer_question", attributes={"session.id": "conv-9"}) as root:
        with tracer.start_as_current_span("retrieve"):
            pass
        with tracer.start_as_current_span("chat gpt-4o-mini") as chat:
            chat.set_attributes(
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": "gpt-4o-mini",
                    "gen_ai.usage.input_tokens": 1000,
                    "gen_ai.usage.output_tokens": 200,
                    "session.id": "conv-9",
                }
            )
        with tracer.start_as_current_span("lookup_order") as tool:
            tool.set_status(StatusCode.ERROR, "order service down")
    assert provider.force_flush(10_000)
    provider.shutdown()
    trace_id = format(root.get_span_context().trace_id, "032x")
    spans = {s.name: s for s in Span.objects.filter(trace_id=trace_id)}
    assert set(spans) == {"answer_question", "retrieve", "chat gpt-4o-mini", "lookup_order"}
    root_id = format(root.get_span_context().span_id, "016x")
    assert all(s.parent_span_id == root_id for name, s in spans.items() if name != "answer_question")
    assert spans["lookup_order"].status_message == "order service down"
    assert spans["chat gpt-4o-mini"].tenant == "acme"  # from the resource
    call = AiCall.objects.get(trace_id=trace_id)
    assert (call.model, call.provider, call.total_tokens, call.tenant) == ("gpt-4o-mini", "openai", 1200, "acme")
    assert call.cost_usd == pytest.approx((1000 * 0.15 + 200 * 0.60) / 1e6)


def test_a_repeated_export_of_the_same_spans_is_stored_once(otlp_env):
    memory = InMemorySpanExporter()
    provider = provider_with(SimpleSpanProcessor(memory))
    with provider.get_tracer("tests").start_as_current_span("chat") as span:
        span.set_attributes(
            {"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o", "gen_ai.usage.prompt_tokens": 5}
        )
    finished = memory.get_finished_spans()
    exporter = OTLPSpanExporter()
    assert exporter.export(finished) == SpanExportResult.SUCCESS
    assert exporter.export(finished) == SpanExportResult.SUCCESS  # a retry after a lost answer
    assert (Span.objects.count(), AiCall.objects.count()) == (1, 1)


def test_a_raw_otlp_json_post_is_stored(otlp_env, api_client):
    key = api_client("ailogs:write").raw_key
    body = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "0af7651916cd43dd8448eb211c80319c",
                                "spanId": "b7ad6b7169203331",
                                "name": "plan",
                                "startTimeUnixNano": str(1_796_000_000 * 10**9),
                                "endTimeUnixNano": str(1_796_000_001 * 10**9),
                            }
                        ]
                    }
                ]
            }
        ]
    }
    response = requests.post(
        f"{otlp_env.url}/api/v1/otel/v1/traces",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert Span.objects.get().duration_ms == 1000.0


class FakeOpenAI:
    """A chat-completions endpoint on loopback that answers like the real API."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                fake.requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                body = json.dumps(
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "created": 1_796_000_000,
                        "model": "gpt-4o-mini-2024-07-18",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": "Your order ships today."},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 42, "completion_tokens": 8, "total_tokens": 50},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_openai():
    server = FakeOpenAI()
    yield server
    server.close()


def test_the_official_openai_instrumentation_reports_a_priced_call_in_the_right_trace(otlp_env, fake_openai):
    import openai
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    price(pattern="gpt-4o-mini*", inp="0.15", out="0.60")
    provider = provider_with(BatchSpanProcessor(OTLPSpanExporter()))
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        client = openai.OpenAI(api_key="sk-test", base_url=fake_openai.url, max_retries=0)
        with provider.get_tracer("app").start_as_current_span("answer_question") as parent:
            reply = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Where is my order?"}]
            )
    finally:
        instrumentor.uninstrument()
    assert reply.choices[0].message.content == "Your order ships today."
    assert provider.force_flush(10_000)
    provider.shutdown()
    trace_id = format(parent.get_span_context().trace_id, "032x")
    call = AiCall.objects.get()
    assert call.trace_id == trace_id
    assert (call.model, call.provider) == ("gpt-4o-mini-2024-07-18", "openai")
    assert (call.prompt_tokens, call.completion_tokens) == (42, 8)
    assert call.cost_usd == pytest.approx((42 * 0.15 + 8 * 0.60) / 1e6)
    chat = Span.objects.get(span_id=call.metadata["span_id"])
    assert chat.parent_span_id == format(parent.get_span_context().span_id, "016x")
    assert chat.trace_id == trace_id
