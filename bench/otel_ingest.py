"""OTLP trace ingest under gunicorn (2 sync workers) against PostgreSQL, and the trace page.

Measures, in one run on one database: protobuf exports of 512 spans (the BatchSpanProcessor's
default batch; a third of them GenAI spans, which also become AI calls) in spans/s with p50/p99
per request; our own JSON batch ingest (500 events per request) as the reference in the same
run; and the admin trace page of a 500-span trace (render time in this process, median and p95).

Env: OTEL_BENCH_SECONDS (default 10 per phase), OTEL_BENCH_PORT (default 8111).
"""

import itertools
import os
import statistics
import time
import uuid

from bench import _ailogs_common as common
from bench._common import http_load
from bench.ailogs_ingest import batch_template, fresh_batch, load

DB = "mon_otel_bench"
SPANS = 512
SECONDS = float(os.environ.get("OTEL_BENCH_SECONDS", "10"))
PORT = int(os.environ.get("OTEL_BENCH_PORT", "8111"))
MARK = b"RRRRRRRR"  # the first 8 bytes of every trace id in the template, replaced per request
_requests = itertools.count(1)


def export_template(spans: int = SPANS, per_trace: int = 16) -> bytes:
    """A protobuf ExportTraceServiceRequest: traces of `per_trace` spans, every third a GenAI call."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

    def kv(key, value):
        return KeyValue(
            key=key, value=AnyValue(int_value=value) if isinstance(value, int) else AnyValue(string_value=value)
        )

    now = time.time_ns() - 5_000_000_000
    items = []
    for i in range(spans):
        trace, position = divmod(i, per_trace)
        trace_id = MARK + trace.to_bytes(4, "big") + b"\x01\x02\x03\x04"
        attributes = [kv("session.id", f"session-{trace % 50}"), kv("tenant.id", f"tenant-{trace % 5}")]
        if i % 3 == 1:
            attributes += [
                kv("gen_ai.operation.name", "chat"),
                kv("gen_ai.provider.name", "openai"),
                kv("gen_ai.request.model", "gpt-4o-mini"),
                kv("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
                kv("gen_ai.usage.input_tokens", 500 + i % 700),
                kv("gen_ai.usage.output_tokens", 80 + i % 300),
            ]
        else:
            attributes += [kv("tool.name", f"tool_{i % 7}"), kv("http.route", "/orders/{id}")]
        start = now + position * 1_000_000
        items.append(
            Span(
                trace_id=trace_id,
                span_id=(i + 1).to_bytes(8, "big"),
                parent_span_id=b"" if position == 0 else (trace * per_trace + 1).to_bytes(8, "big"),
                name="answer_question" if position == 0 else ("chat gpt-4o-mini" if i % 3 == 1 else f"tool_{i % 7}"),
                kind=Span.SPAN_KIND_INTERNAL,
                start_time_unix_nano=start,
                end_time_unix_nano=start + (200 + i % 800) * 1_000_000,
                attributes=attributes,
            )
        )
    resource = {"attributes": [kv("service.name", "bench-agent")]}
    scope = ScopeSpans(scope={"name": "bench"}, spans=items)
    body = ExportTraceServiceRequest(resource_spans=[ResourceSpans(resource=resource, scope_spans=[scope])])
    return body.SerializeToString()


def fresh_export(template: bytes) -> bytes:
    return template.replace(MARK, next(_requests).to_bytes(8, "big"))


def export_load(make_body, threads: int, seconds: float, key: str, port: int = PORT) -> dict:
    """POST the exports make_body() returns from `threads` threads for `seconds`."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-protobuf"}

    def partial_as_negative(status: int, answer: bytes) -> int:
        return status if not answer else -status  # a 200 with a body is a partial success

    return http_load(
        port,
        lambda: ("POST", "/api/v1/otel/v1/traces", make_body(), headers),
        threads,
        seconds,
        partial_as_negative,
    )


def trace_page_ms(repeat: int = 30) -> tuple[float, float, int]:
    """Median and p95 ms of the admin trace page of one 500-span trace, rendered in this process."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from traces.ingest import store
    from traces.otlp import PROTOBUF, decode

    message = decode(export_template(500, per_trace=500).replace(MARK, b"PAGEPAGE"), PROTOBUF)
    store(message)
    trace_id = (b"PAGEPAGE" + (0).to_bytes(4, "big") + b"\x01\x02\x03\x04").hex()
    user, _ = get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_staff": True})
    user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    url = f"/admin/traces/span/trace/{trace_id}/"
    rows = client.get(url).content.count(b'class="wf-row')  # warm-up, and proof it rendered them all
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        samples.append(1000 * (time.perf_counter() - started))
        assert response.status_code == 200
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))], rows


def main() -> None:
    common.setup_django(DB)
    from django.db import connection

    from ailogs.defaults import install
    from monitoring_site.models import ApiKey

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE traces_span, ailogs_aicall, ailogs_aicallhourly")
    install(open(os.devnull, "w"))  # the default price table: GenAI spans are priced
    _, key = ApiKey.issue(
        f"bench-{uuid.uuid4().hex[:6]}", ["traces:write", "ailogs:write"], rate_limit_per_minute=10**9
    )
    template, json_template = export_template(), batch_template()
    print(
        f"machine: {common.machine()}, {SPANS} spans per export (1/3 GenAI), {SECONDS:.0f} s per phase, gunicorn 2 sync workers on :{PORT}"
    )
    with common.Gunicorn(DB, PORT):
        export_load(lambda: fresh_export(template), 4, 2, key)  # warm-up
        otlp = export_load(lambda: fresh_export(template), 4, SECONDS, key)
        from bench import ailogs_ingest

        ailogs_ingest.PORT = PORT
        load("/api/v1/ai-logs/", lambda: fresh_batch(json_template), 4, 2, key)  # warm-up
        ours = load("/api/v1/ai-logs/", lambda: fresh_batch(json_template), 4, SECONDS, key)
    spans = otlp["rps"] * SPANS
    events = ours["rps"] * 500
    print(
        f"OTLP protobuf, {SPANS} spans/request: {otlp['rps']:.1f} req/s = {spans:,.0f} spans/s "
        f"({spans / 3:,.0f} of them AI calls/s), p50 {otlp['p50_ms']:.0f} ms, p99 {otlp['p99_ms']:.0f} ms, statuses {otlp['statuses']}"
    )
    print(
        f"JSON AI-log batches of 500 (same run): {ours['rps']:.1f} req/s = {events:,.0f} events/s, "
        f"p50 {ours['p50_ms']:.0f} ms, p99 {ours['p99_ms']:.0f} ms, statuses {ours['statuses']}"
    )
    print(f"ratio OTLP spans/s : JSON events/s = {spans / events:.2f}")
    from ailogs.models import AiCall
    from traces.models import Span

    print(f"stored: {Span.objects.count():,} spans, {AiCall.objects.count():,} AI calls")
    median, p95, rows = trace_page_ms()
    print(f"trace page of a 500-span trace ({rows} rows): median {median:.0f} ms, p95 {p95:.0f} ms (in-process render)")
    print(f"load after: {common.machine()}")
