"""seed_demo: agent runs as OpenTelemetry traces (a root span, tool spans, GenAI spans) in sessions,
stored through the OTLP ingest path so their model calls are priced AI calls too."""

import os
import random
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from traces.ingest import store

TOOLS = ("search_orders", "lookup_customer", "fetch_policy", "vector_search")
MODELS = (("openai", "gpt-4o-mini"), ("anthropic", "claude-3-5-haiku-20241022"), ("openai", "gpt-4o"))


def _kv(attributes: dict) -> list[KeyValue]:
    return [
        KeyValue(key=k, value=AnyValue(int_value=v) if isinstance(v, int) else AnyValue(string_value=str(v)))
        for k, v in attributes.items()
    ]


def _run(rng: random.Random, start_ns: int, session: str, tenant: str) -> list[Span]:
    """One agent run: plan, then tools and model calls one after the other under the root."""
    trace_id, root_id = os.urandom(16), os.urandom(8)
    who = {"session.id": session, "tenant.id": tenant, "user.id": f"user-{rng.randint(1, 40)}"}
    spans, cursor = [], start_ns + 2_000_000
    for step in range(rng.randint(2, 7)):
        duration = int(rng.lognormvariate(6.2, 0.6) * 1_000_000)
        if step % 2:
            name, attributes, failed = rng.choice(TOOLS), {"tool.name": "demo"}, rng.random() < 0.05
        else:
            provider, model = rng.choice(MODELS)
            name, failed = f"chat {model}", rng.random() < 0.03
            attributes = {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": provider,
                "gen_ai.request.model": model,
                "gen_ai.usage.input_tokens": rng.randint(300, 4000),
                "gen_ai.usage.output_tokens": rng.randint(40, 600),
                **who,
            }
        status = Status(code=Status.STATUS_CODE_ERROR, message="upstream timed out") if failed else Status()
        spans.append(
            Span(
                trace_id=trace_id,
                span_id=os.urandom(8),
                parent_span_id=root_id,
                name=name,
                start_time_unix_nano=cursor,
                end_time_unix_nano=cursor + duration,
                attributes=_kv(attributes),
                status=status,
            )
        )
        cursor += duration + 1_000_000
    root = Span(
        trace_id=trace_id,
        span_id=root_id,
        name="answer_question",
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=start_ns,
        end_time_unix_nano=cursor,
        attributes=_kv(who),
    )
    return [root, *spans]


def seed(days: int, events: int, stdout) -> None:
    rng = random.Random(7)
    now = timezone.now()
    days = min(days, settings.SPANS_RETENTION_DAYS - 1)
    runs = max(10, min(events // 20, 400))
    spans = []
    for i in range(runs):
        moment = now - timedelta(seconds=rng.uniform(60, days * 86_400))
        spans += _run(rng, int(moment.timestamp() * 1e9), f"conv-{i // 3:04d}", f"tenant-{i % 4}")
    resource = {"attributes": _kv({"service.name": "support-agent"})}
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(scope={"name": "demo"}, spans=spans)])]
    )
    result = store(request)
    stdout.write(f"  {runs} agent runs: {result.accepted} spans stored, {result.rejected} refused")
