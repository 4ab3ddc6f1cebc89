"""Store an OTLP trace export: every valid span once, GenAI spans also as AI calls.

GenAI spans become the same event dicts that POST /api/v1/ai-logs/ accepts and go through
`ailogs.ingest.ingest` in one call, so pricing, rollups, alerts and the dashboard treat them
exactly like calls logged by our own client. The AI call's event_id is derived from
(trace_id, span_id), and a span is unique per (trace_id, span_id, start_time), so a repeated
export stores neither the span nor the call twice.
"""

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ailogs.ingest import ingest as ingest_ai_calls
from monitoring_site.lib.ingest import insert_new_rows
from traces import genai, otlp
from traces.models import IDENTITY, NAME_CHARS, STATUS_MESSAGE_CHARS, Span, SpanKind, SpanStatus

# uuid5 namespace of AI-call event ids derived from spans (any fixed UUID; never change it).
EVENT_NAMESPACE = uuid.UUID("6f1c3c0e-8d5b-4a0e-9a51-2f3f0c7d9b21")
_NAMESPACE_BYTES = EVENT_NAMESPACE.bytes
MAX_EVENTS = 20  # exception events kept per span
STATUS_CODES = frozenset(SpanStatus.values)
KINDS = frozenset(SpanKind.values)  # protobuf enums are open: any int32 can arrive
SCALARS = (int, float, bool, type(None))


class Invalid(Exception):
    pass


@dataclass
class Result:
    accepted: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)

    def refuse(self, where: str, message: str) -> None:
        self.rejected += 1
        self.errors.append(f"{where}: {message}")

    @property
    def error_message(self) -> str:
        """The first problem, and how many others: the exporter logs this one string."""
        if not self.errors:
            return ""
        more = len(self.errors) - 1
        return self.errors[0] + (f" (and {more} more rejected span{'s' * (more > 1)})" if more else "")


class Window:
    """What every span of one request is checked against, read from settings once per request:
    the start times a span may have (within retention, not far in the future) and where its
    session, tenant and user come from."""

    def __init__(self) -> None:
        now = timezone.now()
        earliest = now - timedelta(days=settings.SPANS_RETENTION_DAYS)
        latest = now + timedelta(seconds=settings.AILOGS_MAX_FUTURE_SECONDS)
        # as OTLP's nanoseconds, so a span's start is checked before it becomes a datetime
        self.earliest_ns, self.latest_ns = int(earliest.timestamp()) * 10**9, int(latest.timestamp()) * 10**9
        self.identities = (
            ("session_id", tuple(settings.TRACES_SESSION_ATTRIBUTES), 255, "session"),
            ("tenant", tuple(settings.TRACES_TENANT_ATTRIBUTES), 100, "tenant"),
            ("user_id", tuple(settings.TRACES_USER_ATTRIBUTES), 255, "user"),
        )


def store(request) -> Result:
    """Validate and store the spans of an ExportTraceServiceRequest; return what happened."""
    result = Result()
    window = Window()
    rows, events, owners = [], [], []
    index = 0
    for resource_spans in request.resource_spans:
        resource = otlp.attributes(resource_spans.resource.attributes)
        try:
            _no_nul(resource, "resource attributes")
            service = _text(str(resource.get("service.name") or ""), 200, "resource service.name")
        except Invalid as exc:
            resource_error, service = str(exc), ""
        else:
            resource_error = ""
        fallbacks = _resource_identities(resource, window)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope.name
            try:
                _text(scope, 200, "scope.name")
            except Invalid as exc:
                scope_error = str(exc)
            else:
                scope_error = resource_error
            for span in scope_spans.spans:
                try:
                    if scope_error:
                        raise Invalid(scope_error)
                    row = _row(span, resource, service, scope, window, fallbacks)
                except Invalid as exc:
                    result.refuse(_where(index, span), str(exc))
                else:
                    rows.append(row)
                    if row["is_genai"]:
                        events.append(genai.event(row, _event_id(row)))
                        owners.append(len(rows) - 1)
                index += 1
    # One transaction, so one commit (one WAL flush) per export, and never AI calls without
    # their spans; an exporter's retry finds both claimed.
    with transaction.atomic():
        refused = _store_ai_calls(events, owners, rows, result)
        kept = [row for i, row in enumerate(rows) if i not in refused]
        # ON CONFLICT on the day partition's own unique index: no key table to claim in first,
        # whose one index over every stored span made each export slower as it grew.
        insert_new_rows(Span, kept, key_field=IDENTITY)
    result.accepted = len(kept)
    return result


def _store_ai_calls(events: list[dict], owners: list[int], rows: list[dict], result: Result) -> set[int]:
    """Hand the GenAI events to the AI-log ingest; return the indexes (in rows) of spans it refused."""
    if not events:
        return set()
    refused = set()
    # storable: protobuf refuses a string that is not valid UTF-8 when it parses a body, OTLP/JSON
    # bodies pass parsers.json_problem (lone surrogates), and _row refused NULs: what reaches
    # here can be stored as it is, so ailogs need not check each call's text again.
    for error in ingest_ai_calls(events, storable=True)["errors"]:
        position = owners[error["index"]]
        row = rows[position]
        fields = "; ".join(f"{name}: {' '.join(map(str, problems))}" for name, problems in error["errors"].items())
        result.refuse(f"span {row['trace_id']}/{row['span_id']}", f"as an AI call, {fields}")
        refused.add(position)
    return refused


def _where(index: int, span) -> str:
    ids = f" {span.trace_id.hex()}/{span.span_id.hex()}" if span.trace_id and span.span_id else ""
    return f"span #{index}{ids}"


def _event_id(row: dict) -> str:
    """str(uuid.uuid5(EVENT_NAMESPACE, trace_id + span_id)), written directly: building the UUID
    object took 7 of the 8 µs, 3 % of a GenAI span's ingest."""
    key = row["trace_id"] + row["span_id"]
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + key.encode(), usedforsecurity=False).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _resource_identities(resource: dict, window: Window) -> list:
    """Per identity (session, tenant, user), what a span of this resource gets when it has none
    of its own: the value, or the Invalid that refuses it. Worked out once per resource."""
    found = []
    for _, names, limit, what in window.identities:
        try:
            found.append(_pick(names, resource, limit, what))
        except Invalid as exc:
            found.append(exc)
    return found


def _row(span, resource: dict, service: str, scope: str, window: Window, fallbacks: list) -> dict:
    trace_id, span_id, parent = span.trace_id, span.span_id, span.parent_span_id
    if len(trace_id) != 16 or not any(trace_id):
        raise Invalid("trace_id must be 16 bytes (32 hex digits), not all zero.")
    if len(span_id) != 8 or not any(span_id):
        raise Invalid("span_id must be 8 bytes (16 hex digits), not all zero.")
    if parent and len(parent) != 8:
        raise Invalid("parent_span_id must be empty or 8 bytes (16 hex digits).")
    name = _text(span.name, NAME_CHARS, "name")
    if not name:
        raise Invalid("name is required.")
    start_ns, end_ns = span.start_time_unix_nano, span.end_time_unix_nano
    if not start_ns:
        raise Invalid("start_time_unix_nano is required.")
    if not end_ns:
        raise Invalid("end_time_unix_nano is required.")
    if end_ns < start_ns:
        raise Invalid("end_time_unix_nano is before start_time_unix_nano.")
    if start_ns < window.earliest_ns:
        raise Invalid(f"start time is older than the retention period ({settings.SPANS_RETENTION_DAYS} days).")
    if start_ns > window.latest_ns:
        raise Invalid("start time is in the future.")
    attributes = otlp.attributes(span.attributes)
    _no_nul(attributes, "attributes")
    status, kind = span.status, span.kind
    hex_trace, hex_span = trace_id.hex(), span_id.hex()
    row = {
        "trace_id": hex_trace,
        "span_id": hex_span,
        "parent_span_id": parent.hex(),
        "name": name,
        "kind": kind if kind in KINDS else SpanKind.UNSPECIFIED,
        "start_time": datetime.fromtimestamp(start_ns / 1e9, tz=UTC),  # in range: checked above
        "end_time": _time(end_ns, "end_time_unix_nano"),
        "duration_ms": (end_ns - start_ns) / 1e6,
        "status_code": status.code if status.code in STATUS_CODES else SpanStatus.UNSET,
        "status_message": _text(status.message, STATUS_MESSAGE_CHARS, "status.message"),
        "service_name": service,
        "scope": scope,
        "is_genai": genai.is_genai(attributes),
        "attributes": attributes,
        "resource_attributes": resource,
        "events": _exception_events(span.events) if span.events else [],
    }
    for (field_name, names, limit, what), fallback in zip(window.identities, fallbacks, strict=True):
        value = _pick(names, attributes, limit, what)
        if not value:
            if isinstance(fallback, Invalid):
                raise Invalid(str(fallback))
            value = fallback
        row[field_name] = value
    return row


def _time(nanos: int, name: str) -> datetime:
    if not nanos:
        raise Invalid(f"{name} is required.")
    try:
        return datetime.fromtimestamp(nanos / 1e9, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise Invalid(f"{name} is out of range.") from None


def _text(value: str, limit: int, name: str) -> str:
    if len(value) > limit:
        raise Invalid(f"{name} is longer than {limit} characters.")
    if "\x00" in value:
        raise Invalid(f"{name} contains a NUL character.")
    return value


def _pick(names: tuple[str, ...], attributes: dict, limit: int, what: str) -> str:
    """The first configured attribute present in attributes (a span's, else its resource's)."""
    for name in names:
        found = attributes.get(name)
        if found is not None and found != "":
            return _text(str(found), limit, f"{what} attribute {name}")
    return ""


def _no_nul(value, where: str) -> None:
    """PostgreSQL stores no NUL in jsonb: refuse the span, naming the attribute, instead of a 500."""
    if type(value) is dict and all(
        "\x00" not in key and (type(item) is str and "\x00" not in item or type(item) in SCALARS)
        for key, item in value.items()
    ):
        return  # the common flat, clean attribute set, checked in one pass
    if isinstance(value, str):
        if "\x00" in value:
            raise Invalid(f"{where} contain a NUL character.")
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                raise Invalid(f"{where}: a key contains a NUL character.")
            _no_nul(item, f"{where} {key}" if where.endswith("attributes") else where)
    elif isinstance(value, list):
        for item in value:
            _no_nul(item, where)


def _exception_events(events) -> list[dict]:
    kept = []
    for event in events:
        if event.name != "exception":
            continue
        attributes = otlp.attributes(event.attributes)
        _no_nul(attributes, "exception event attributes")
        moment = _time(event.time_unix_nano, "event time_unix_nano").isoformat() if event.time_unix_nano else None
        kept.append({"time": moment, "attributes": attributes})
        if len(kept) == MAX_EVENTS:
            break
    return kept
