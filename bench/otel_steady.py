"""OTLP trace ingest at steady state: through the server `make run` starts, into span tables already full.

The span table is seeded once with OTEL_STEADY_SPANS spans (default 10,000,000) over the last 30
days, generated server-side in time order (INSERT ... SELECT, 1M rows per statement): traces of 16
spans with random ids as OpenTelemetry SDKs make them, every third span a GenAI call (also seeded
as an AI call), with the AI calls' event ids of the dedup window; later runs reuse it (the database is kept). Then, in
OTEL_STEADY_ROUNDS interleaved rounds:

- 512-span protobuf exports (bench.otel_ingest's, random trace ids per request) for
  OTEL_BENCH_SECONDS through the Procfile's `web` command line (bench.ailogs_steady.MakeRunServer);
- a raw psycopg COPY of the same rows (the spans, and the AI calls of the GenAI third, as the
  receiver builds them) into the same pre-filled tables, one transaction per export, from as many
  connections as the server has workers: the physical limit. The ratio is the figure.

Env: OTEL_STEADY_SPANS, OTEL_BENCH_SECONDS (10), OTEL_STEADY_ROUNDS (3), OTEL_BENCH_PORT (8112),
OTEL_STEADY_DB (otel_bench_steady).
"""

import os
import random
import time
import uuid

from bench import _ailogs_common as common
from bench.ailogs_steady import MakeRunServer
from bench.otel_ingest import MARK, SPANS, export_load, export_template

DB = os.environ.get("OTEL_STEADY_DB", "otel_bench_steady")
ROWS = int(os.environ.get("OTEL_STEADY_SPANS", "10000000"))
SECONDS = float(os.environ.get("OTEL_BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("OTEL_STEADY_ROUNDS", "3"))
PORT = int(os.environ.get("OTEL_BENCH_PORT", "8112"))
CHUNK = 1_000_000
WORKERS = 2  # the Procfile's default WEB_CONCURRENCY

# Span g of trace g / 16 (random-looking ids from md5, as SDKs draw them at random), in time order.
SEED_SPANS = """
INSERT INTO traces_span (trace_id, span_id, parent_span_id, name, kind, start_time, end_time,
    duration_ms, status_code, status_message, service_name, scope, session_id, tenant, user_id,
    is_genai, attributes, resource_attributes, events)
SELECT t, s, CASE WHEN g %% 16 = 0 THEN '' ELSE root END,
    CASE WHEN g %% 3 = 1 THEN 'chat gpt-4o-mini' ELSE 'tool_' || g %% 7 END, 1, ts,
    ts + interval '40 ms', 40, CASE WHEN g %% 50 = 0 THEN 2 ELSE 0 END, '', 'bench-agent',
    'bench', 'session-' || (g / 16) %% 5000, 'tenant-' || (g / 16) %% 5, '',
    g %% 3 = 1,
    CASE WHEN g %% 3 = 1 THEN jsonb_build_object('gen_ai.operation.name', 'chat',
        'gen_ai.provider.name', 'openai', 'gen_ai.request.model', 'gpt-4o-mini',
        'gen_ai.usage.input_tokens', 500 + g %% 700, 'gen_ai.usage.output_tokens', 80 + g %% 300,
        'session.id', 'session-' || (g / 16) %% 5000)
    ELSE jsonb_build_object('tool.name', 'tool_' || g %% 7, 'http.route', '/orders/{id}',
        'session.id', 'session-' || (g / 16) %% 5000) END,
    '{"service.name": "bench-agent"}', '[]'
FROM (SELECT g, %(start)s::timestamptz + (g - %(first)s) * %(step)s::interval AS ts,
             md5('t' || (g / 16)::text) AS t, substr(md5('s' || g::text), 1, 16) AS s,
             substr(md5('s' || (g - g %% 16)::text), 1, 16) AS root
      FROM generate_series(%(first)s::bigint, %(last)s::bigint) g) x
"""

# The AI call of each GenAI span, as traces.genai maps it (event ids: random here, UUIDs all the same).
SEED_CALLS = """
INSERT INTO ailogs_aicall (event_id, "timestamp", function, provider, model, status, duration_ms,
    prompt_tokens, completion_tokens, total_tokens, cost_usd, cost_source, input_hash, output_preview,
    error_message, user_id, session_id, tenant, actor_type, trace_id, metadata)
SELECT md5(trace_id || span_id)::uuid, end_time, name, 'openai', 'gpt-4o-mini', 'success', duration_ms,
    (attributes ->> 'gen_ai.usage.input_tokens')::int, (attributes ->> 'gen_ai.usage.output_tokens')::int,
    (attributes ->> 'gen_ai.usage.input_tokens')::int + (attributes ->> 'gen_ai.usage.output_tokens')::int,
    0.0004, 'computed', '', '', '', '', session_id, tenant, '', trace_id,
    jsonb_build_object('span_id', span_id, 'service', service_name, 'operation', 'chat')
FROM traces_span WHERE is_genai AND start_time >= %(start)s AND start_time < %(end)s
"""


def seed_once() -> int:
    """Fill the span table to ROWS over the last 30 days (once), with their AI calls; return its rows."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    have = common.estimated_rows("traces_span")
    if have >= 0.95 * ROWS:
        return have
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE traces_span, ailogs_aicall, ailogs_aicalleventid, ailogs_aicallhourly")
    print(f"seeding {ROWS:,} spans over 30 days (once; the database {DB} is kept for later runs)", flush=True)
    now = timezone.now()
    start, span = now - timedelta(days=30), timedelta(days=30) - timedelta(minutes=5)
    began = time.perf_counter()
    step = span / ROWS
    for first in range(1, ROWS + 1, CHUNK):
        last = min(ROWS, first + CHUNK - 1)
        chunk_start = start + (first - 1) * step
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(SEED_SPANS, {"start": start, "first": first, "last": last, "step": step})
            cursor.execute(SEED_CALLS, {"start": chunk_start, "end": start + last * step})
        print(f"  seeded spans {first:,}-{last:,} and their AI calls ({common.machine()})", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ailogs_aicalleventid (event_id, day) SELECT event_id, (\"timestamp\" AT TIME ZONE 'UTC')::date "
            'FROM ailogs_aicall WHERE "timestamp" >= %s',
            [now - timedelta(days=settings.AILOGS_DEDUP_DAYS)],
        )
        for table in ("traces_span", "ailogs_aicall", "ailogs_aicalleventid"):
            cursor.execute(f"VACUUM ANALYZE {table}")  # autovacuum is off on this machine
    print(f"seeded in {time.perf_counter() - began:.0f} s", flush=True)
    return ROWS


class Exports:
    """bench.otel_ingest's 512-span export with fresh random trace ids per request (as SDKs draw
    them), so they land all over the unique index as in production."""

    def __init__(self) -> None:
        self.template = export_template()

    def __call__(self) -> bytes:
        return self.template.replace(MARK, random.getrandbits(64).to_bytes(8, "big"))


def raw_copy_rate(exports: Exports, count: int) -> float:
    """Spans/s of a psycopg COPY of the rows the receiver would store for `count` exports (spans,
    and the AI calls of the GenAI ones), one transaction per export, WORKERS connections at once."""
    import psycopg
    from django.db import connection

    from ailogs.ingest import convert_valid
    from ailogs.models import AiCall
    from monitoring_site.lib.ingest import _copy
    from traces import genai
    from traces.ingest import Window, _event_id, _resource_identities, _row
    from traces.models import Span
    from traces.otlp import PROTOBUF, attributes, decode

    batches = []
    for _ in range(count):
        message, window = decode(exports(), PROTOBUF), Window()
        spans, events = [], []
        for resource_spans in message.resource_spans:
            resource = attributes(resource_spans.resource.attributes)
            fallbacks = _resource_identities(resource, window)
            for scope_spans in resource_spans.scope_spans:
                for item in scope_spans.spans:
                    row = _row(item, resource, "bench-agent", scope_spans.scope.name, window, fallbacks)
                    spans.append(row)
                    if row["is_genai"]:
                        events.append(genai.event(row, _event_id(row)))
        calls = convert_valid(events, storable=True)
        batches.append((spans, list(calls)))

    def quoted(model, names):
        return ", ".join(connection.ops.quote_name(model._meta.get_field(n).column) for n in names)

    span_names, call_names = list(batches[0][0][0]), list(batches[0][1][0])
    span_columns, call_columns = quoted(Span, span_names), quoted(AiCall, call_names)

    def copy_batches(share: list) -> None:
        with psycopg.connect(common.bench_database_url(DB)) as conn:
            for spans, calls in share:
                with conn.cursor() as cursor:
                    wrapped = _Wrapped(cursor)
                    _copy(wrapped, Span, "traces_span", span_columns, span_names, spans)
                    _copy(wrapped, AiCall, "ailogs_aicall", call_columns, call_names, calls)
                conn.commit()

    shares = [batches[i::WORKERS] for i in range(WORKERS)]
    return count * SPANS / common.seconds_in_threads(copy_batches, shares)


class _Wrapped:
    """What monitoring_site.lib.ingest._copy expects: a Django cursor's `.cursor`."""

    def __init__(self, cursor) -> None:
        self.cursor = cursor


def main() -> None:
    common.setup_django(DB)
    from ailogs.defaults import install
    from monitoring_site.models import ApiKey

    install(open(os.devnull, "w"))  # noqa: SIM115 (the default price table: GenAI spans are priced)
    have = seed_once()
    _, key = ApiKey.issue(
        f"bench-{uuid.uuid4().hex[:6]}", ["traces:write", "ailogs:write"], rate_limit_per_minute=10**9
    )
    exports = Exports()
    print(f"machine: {common.machine()}; span table holds ~{have:,} spans, {SPANS} spans per export (1/3 GenAI)")
    with MakeRunServer(DB, PORT) as server:
        print(f"server command: {server.command} (PORT={PORT})")
        export_load(exports, 4, 3, key, PORT)  # warm-up
        ratio = common.endpoint_copy_rounds(
            ROUNDS,
            lambda: export_load(exports, 4, SECONDS, key, PORT),
            lambda count: raw_copy_rate(exports, count),
            SPANS,
            "spans",
        )
        print(f"steady state (~{have:,} spans): OTLP/COPY median of {ROUNDS} rounds = {ratio:.2f}")
    print(f"load after: {common.machine()}")
