"""Build OTLP export requests with the official classes, as an exporter would send them."""

import os
import time

from google.rpc.status_pb2 import Status as RpcStatus
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status


def any_value(value) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    return AnyValue(string_value=str(value))


def key_values(attributes: dict) -> list[KeyValue]:
    return [KeyValue(key=k, value=any_value(v)) for k, v in attributes.items()]


def new_trace_id() -> bytes:
    return os.urandom(16)


def new_span_id() -> bytes:
    return os.urandom(8)


def span(
    name: str = "step",
    trace_id: bytes | None = None,
    span_id: bytes | None = None,
    parent: bytes = b"",
    attributes: dict | None = None,
    start_ns: int | None = None,
    duration_ms: float = 120.0,
    error: str = "",
) -> Span:
    start = start_ns or time.time_ns() - 2_000_000_000
    return Span(
        trace_id=trace_id or new_trace_id(),
        span_id=span_id or new_span_id(),
        parent_span_id=parent,
        name=name,
        kind=Span.SPAN_KIND_INTERNAL,
        start_time_unix_nano=start,
        end_time_unix_nano=start + int(duration_ms * 1_000_000),
        attributes=key_values(attributes or {}),
        status=Status(code=Status.STATUS_CODE_ERROR, message=error) if error else Status(),
    )


def genai_attributes(**extra) -> dict:
    base = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 20,
    }
    return {**base, **extra}


def export(*spans: Span, resource: dict | None = None) -> ExportTraceServiceRequest:
    resource_attributes = {"service.name": "checkout-bot", **(resource or {})}
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource={"attributes": key_values(resource_attributes)},
                scope_spans=[ScopeSpans(scope={"name": "tests"}, spans=list(spans))],
            )
        ]
    )


URL = "/api/v1/otel/v1/traces"
PROTOBUF = "application/x-protobuf"


def post(client, message, content_type=PROTOBUF, **headers):
    body = message if isinstance(message, bytes) else message.SerializeToString()
    return client.post(URL, data=body, content_type=content_type, headers=headers)


def answer(response) -> ExportTraceServiceResponse:
    assert response["Content-Type"] == PROTOBUF
    return ExportTraceServiceResponse.FromString(response.content)


def status_of(response) -> RpcStatus:
    return RpcStatus.FromString(response.content)


def agent_run(api_client, session="conv-1", tenant="acme", user="u-1", error=""):
    """A trace as an agent makes it: a root span, a tool call, and two model calls under it."""
    trace_id, root = new_trace_id(), new_span_id()
    who = {"session.id": session, "tenant.id": tenant, "user.id": user}
    spans = [
        span("answer_question", trace_id, root, attributes=who, duration_ms=900),
        span("chat gpt-4o-mini", trace_id, parent=root, attributes=genai_attributes(**who), duration_ms=300),
        span("lookup_order", trace_id, parent=root, duration_ms=100, error=error),
        span("chat gpt-4o-mini", trace_id, parent=root, attributes=genai_attributes(**who), duration_ms=200),
    ]
    assert post(api_client("traces:write"), export(*spans)).status_code == 200
    return trace_id.hex()
