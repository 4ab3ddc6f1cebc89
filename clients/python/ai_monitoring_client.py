"""Log AI calls to the monitoring site from any Python service. Standard library only.

    import ai_monitoring_client as aimon
    aimon.configure("https://monitor.example.com", "msk_...")
    aimon.log_call("summarise", duration_ms=812, model="gpt-4o-mini", provider="openai",
                   prompt_tokens=1200, completion_tokens=150, status="success")

Multi-step work nests: every call logged inside `with aimon.trace("answer_question", session_id=...)`
becomes a span of that trace, under the innermost open trace() block (which may nest too), and the
trace shows as one waterfall on the site. Spans go as OTLP/JSON to /api/v1/otel/v1/traces through
the same queue and thread (the key needs ailogs:write or traces:write).

`log_call` only appends to an in-memory queue and returns the event id; a background thread sends
batches, retries 429/5xx/connection errors with exponential backoff and full jitter (honouring
Retry-After), keeps each event's id across retries so the server stores it once, and flushes at
exit. Nothing here raises into, or blocks, the host application: when the queue is full or the
server refuses an event, the event is dropped and counted in `client.stats`.
"""

from __future__ import annotations

import atexit
import contextvars
import hashlib
import json
import logging
import os
import queue
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

__all__ = ["Client", "configure", "log_call", "track", "trace", "flush", "get_client", "uuid7"]
__version__ = "0.1.0"

logger = logging.getLogger("ai_monitoring_client")
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_STOP = object()
_FLUSH = object()  # sends what has been collected now, without waiting for flush_interval
# The server derives an AI call's event id from its span as uuid5(this, trace_id + span_id)
# (traces.ingest.EVENT_NAMESPACE), so log_call can return the id the call is stored under.
SPAN_EVENT_NAMESPACE = uuid.UUID("6f1c3c0e-8d5b-4a0e-9a51-2f3f0c7d9b21")
_current_span: contextvars.ContextVar = contextvars.ContextVar("ai_monitoring_span", default=None)


class Span:
    """An open trace() block: the parent of whatever is logged inside it."""

    __slots__ = ("trace_id", "span_id", "identity")

    def __init__(self, trace_id: str, span_id: str, identity: dict) -> None:
        self.trace_id = trace_id
        self.span_id = span_id
        self.identity = identity  # session_id, user_id, tenant: inherited by the spans inside


class _SpanItem(dict):
    """A queued OTLP/JSON span (the queue holds AI-log events, which are plain dicts, and these)."""


def uuid7() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.

    Ids made later sort later, so the server's event-id index is appended to at its right edge
    instead of written at a random page per event (a random UUIDv4 index doubled the insert
    cost near 600k rows; docs/performance.md). Any UUID is accepted and deduplicated the same.
    """
    millis = time.time_ns() // 1_000_000
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | int.from_bytes(random.randbytes(10)) & ((1 << 80) - 1)
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # variant 10
    return uuid.UUID(int=value)


class Client:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        batch_size: int = 200,
        flush_interval: float = 2.0,
        max_queue: int = 10_000,
        timeout: float = 10.0,
        max_retries: int = 8,
        backoff_base: float = 0.5,
        backoff_max: float = 60.0,
        flush_at_exit: float = 5.0,
        service_name: str = "",
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        self.url = base_url.rstrip("/") + "/api/v1/ai-logs/"
        self.traces_url = base_url.rstrip("/") + "/api/v1/otel/v1/traces"
        self.service_name = service_name
        self.api_key = api_key
        self.batch_size = max(1, min(batch_size, 1000))
        self.flush_interval = flush_interval
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.stats = {"queued": 0, "sent": 0, "duplicates": 0, "rejected": 0, "dropped": 0, "retries": 0}
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._closing = threading.Event()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread = threading.Thread(target=self._run, name="ai-monitoring-client", daemon=True)
        self._thread.start()
        self._flush_at_exit = flush_at_exit
        atexit.register(self.close, flush_at_exit)

    # --- the host application's side: never raises, never blocks ----------------------------

    def log_call(self, function: str, duration_ms: float, **fields) -> str | None:
        """Queue one AI call; return its event id, or None if it was dropped (queue full/closed).

        Inside a trace() block the call is sent as a child span of the innermost block."""
        try:
            parent = _current_span.get()
            event = self._event(function, duration_ms, fields)
            item = event if parent is None else self._call_span(event, parent)
            self._put(item)
            return event["event_id"] if parent is None else item["event_id"]
        except queue.Full:
            self.stats["dropped"] += 1
            return None
        except Exception:  # a bad field must not break the caller's request
            logger.exception("ai_monitoring_client: could not queue an event")
            self.stats["dropped"] += 1
            return None

    @contextmanager
    def track(self, function: str, **fields):
        """Time the block and log it; an exception marks the call as an error and is re-raised.

        The yielded dict may be filled inside the block (model, tokens, output_preview...).
        """
        call = dict(fields)
        started = time.perf_counter()
        try:
            yield call
        except Exception as exc:
            call.setdefault("status", "timeout" if isinstance(exc, TimeoutError) else "error")
            call.setdefault("error_message", f"{type(exc).__name__}: {exc}"[:4000])
            raise
        finally:
            self.log_call(function, (time.perf_counter() - started) * 1000, **call)

    @contextmanager
    def trace(
        self,
        name: str,
        *,
        session_id: str | None = None,
        user_id: str | None = None,
        tenant: str | None = None,
        **attributes,
    ):
        """Open a trace (or, inside another trace() block, a child span of it) around the block.

        Calls logged inside become its children; session_id, user_id and tenant are inherited by
        them. An exception marks the span as failed and is re-raised. Yields the Span.
        """
        parent = _current_span.get()
        identity = dict(parent.identity) if parent else {}
        identity.update({k: v for k, v in (("session_id", session_id), ("user_id", user_id), ("tenant", tenant)) if v})
        span = Span(parent.trace_id if parent else os.urandom(16).hex(), os.urandom(8).hex(), identity)
        token = _current_span.set(span)
        started = time.time_ns()
        error = ""
        try:
            yield span
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:4000]
            raise
        finally:
            _current_span.reset(token)
            try:
                attrs = {**_identity_attributes(identity), **attributes}
                item = _otlp_span(span, parent.span_id if parent else "", name, started, time.time_ns(), attrs, error)
                self._put(item)
            except queue.Full:
                self.stats["dropped"] += 1
            except Exception:  # a bad attribute must not break the caller's block
                logger.exception("ai_monitoring_client: could not queue a span")
                self.stats["dropped"] += 1

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Send everything queued so far now and wait until it is sent or given up; True if it was."""
        try:
            self._queue.put_nowait(_FLUSH)
        except queue.Full:
            pass
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued (waiting at most `timeout` seconds) and stop the thread."""
        if self._closing.is_set():
            return
        self._closing.set()
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(max(0.1, timeout))

    # --- the background thread -----------------------------------------------------------------

    def _put(self, item: dict) -> None:
        if self._closing.is_set():
            raise queue.Full
        with self._idle:
            self._queue.put_nowait(item)
            self._pending += 1
        self.stats["queued"] += 1

    def _call_span(self, event: dict, parent: Span) -> _SpanItem:
        """An AI-call event as an OTLP span under `parent`, with the GenAI attributes the server maps."""
        for name, value in parent.identity.items():
            event.setdefault(name, value)
        span = Span(parent.trace_id, os.urandom(8).hex(), parent.identity)
        ended = time.time_ns()
        started = ended - int(event["duration_ms"] * 1_000_000)
        status = event.get("status", "success")
        error = (event.get("error_message") or status) if status != "success" else ""
        item = _otlp_span(span, parent.span_id, event["function"], started, ended, _call_attributes(event), error)
        item["event_id"] = str(uuid.uuid5(SPAN_EVENT_NAMESPACE, span.trace_id + span.span_id))
        return item

    def _event(self, function: str, duration_ms: float, fields: dict) -> dict:
        event = {k: v for k, v in fields.items() if v is not None}
        event["function"] = function
        event["duration_ms"] = float(duration_ms)
        event.setdefault("event_id", str(uuid7()))
        event.setdefault("timestamp", datetime.now(UTC).isoformat())
        if "input" in event:  # hash here: the prompt never leaves the process
            raw = event.pop("input")
            text = raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True, separators=(",", ":"))
            event["input_hash"] = hashlib.sha256(text.encode()).hexdigest()
        if isinstance(event.get("output_preview"), str):
            event["output_preview"] = event["output_preview"][:500]
        json.dumps(event)  # fail now, in log_call, on values JSON cannot carry
        return event

    def _run(self) -> None:
        while True:
            batch, stop = self._collect()
            if batch:
                events = [item for item in batch if not isinstance(item, _SpanItem)]
                spans = [item for item in batch if isinstance(item, _SpanItem)]
                for part, kind in ((events, "events"), (spans, "spans")):
                    if not part:
                        continue
                    try:
                        self._send(part, kind)
                    except Exception:  # the sender thread must survive anything
                        logger.exception("ai_monitoring_client: unexpected error; %d %s dropped", len(part), kind)
                        self.stats["dropped"] += len(part)
                with self._idle:
                    self._pending -= len(batch)
                    self._idle.notify_all()
            if stop:
                return

    def _collect(self) -> tuple[list, bool]:
        batch: list = []
        deadline = time.monotonic() + self.flush_interval
        while len(batch) < self.batch_size:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                if batch or time.monotonic() >= deadline:
                    return batch, False
                continue
            if item is _STOP:
                return batch, True
            if item is _FLUSH:
                return batch, False
            batch.append(item)
        return batch, False

    def _send(self, batch: list, kind: str = "events") -> None:
        for attempt in range(self.max_retries + 1):
            status, body, retry_after = self._post(batch, kind)
            if kind == "events" and status in (201, 207, 400):
                self._count(batch, status, body)
                return
            if kind == "spans" and status in (200, 400):
                self._count_spans(batch, status, body)
                return
            if status == 413 and len(batch) > 1:
                half = len(batch) // 2
                self._send(batch[:half], kind)
                self._send(batch[half:], kind)
                return
            if status is not None and status not in RETRY_STATUSES:
                logger.warning("ai_monitoring_client: server answered %s; %d event(s) dropped", status, len(batch))
                self.stats["dropped"] += len(batch)
                return
            if attempt < self.max_retries:
                self.stats["retries"] += 1
                self._wait(self._delay(attempt, retry_after))
        logger.warning(
            "ai_monitoring_client: giving up after %d retries; %d event(s) dropped", self.max_retries, len(batch)
        )
        self.stats["dropped"] += len(batch)

    def _count(self, batch: list, status: int, body: dict) -> None:
        errors = body.get("errors") or []
        self.stats["sent"] += body.get("accepted", 0)
        self.stats["duplicates"] += body.get("duplicates", 0)
        self.stats["rejected"] += len(errors) if errors else (len(batch) if status == 400 else 0)
        for error in errors[:5]:
            logger.warning("ai_monitoring_client: event rejected: %s", error)

    def _count_spans(self, batch: list, status: int, body: dict) -> None:
        """OTLP answers 200 with partial_success.rejected_spans, or 400 for the whole export."""
        partial = body.get("partialSuccess") or body.get("partial_success") or {}
        rejected = (
            len(batch) if status == 400 else int(partial.get("rejectedSpans") or partial.get("rejected_spans") or 0)
        )
        self.stats["sent"] += len(batch) - rejected
        self.stats["rejected"] += rejected
        if rejected:
            message = partial.get("errorMessage") or partial.get("error_message") or body.get("message")
            logger.warning("ai_monitoring_client: %d span(s) rejected: %s", rejected, message)

    def _body(self, batch: list, kind: str) -> bytes:
        if kind == "events":
            return json.dumps(batch, separators=(",", ":")).encode()
        spans = [{k: v for k, v in item.items() if k != "event_id"} for item in batch]
        resource = _attributes({"service.name": self.service_name} if self.service_name else {})
        export = {
            "resourceSpans": [
                {
                    "resource": {"attributes": resource},
                    "scopeSpans": [{"scope": {"name": "ai_monitoring_client", "version": __version__}, "spans": spans}],
                }
            ]
        }
        return json.dumps(export, separators=(",", ":")).encode()

    def _post(self, batch: list, kind: str = "events"):
        """Return (status or None for a connection error, parsed body, Retry-After seconds)."""
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            self.url if kind == "events" else self.traces_url,
            data=self._body(batch, kind),
            headers={
                "Authorization": f"Bearer {self.api_key}",
                "Content-Type": "application/json",
                "User-Agent": f"ai-monitoring-client/{__version__}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (URL is the configured server)
                return response.status, _json(response.read()), None
        except urllib.error.HTTPError as exc:
            return exc.code, _json(exc.read()), _retry_after(exc.headers.get("Retry-After"))
        except (OSError, ValueError) as exc:  # refused, reset, DNS, timeout
            logger.info("ai_monitoring_client: connection problem: %s", exc)
            return None, {}, None

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        # Full jitter (AWS architecture blog): spreads retries of many clients after an outage.
        delay = random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))
        return max(delay, min(retry_after, self.backoff_max)) if retry_after is not None else delay

    def _wait(self, seconds: float) -> None:
        # While closing, do not hold the process past its flush_at_exit budget with long sleeps.
        time.sleep(min(seconds, 0.5) if self._closing.is_set() else seconds)


def _identity_attributes(identity: dict) -> dict:
    names = {"session_id": "session.id", "user_id": "user.id", "tenant": "tenant.id"}
    return {names[k]: v for k, v in identity.items()}


# AI-log fields as the span attributes the server maps back (traces.genai, docs/tracing.md).
_CALL_ATTRIBUTES = {
    "function": "aimon.function",
    "provider": "gen_ai.provider.name",
    "model": "gen_ai.request.model",
    "prompt_tokens": "gen_ai.usage.input_tokens",
    "completion_tokens": "gen_ai.usage.output_tokens",
    "total_tokens": "gen_ai.usage.total_tokens",
    "cost_usd": "gen_ai.usage.cost",
    "actor_type": "aimon.actor_type",
    "input_hash": "aimon.input_hash",
    "output_preview": "aimon.output_preview",
}


def _call_attributes(event: dict) -> dict:
    attributes = {
        "gen_ai.operation.name": "chat",
        **_identity_attributes({k: event[k] for k in ("session_id", "user_id", "tenant") if event.get(k)}),
    }
    attributes.update({name: event[field] for field, name in _CALL_ATTRIBUTES.items() if event.get(field) is not None})
    if event.get("status") not in (None, "success"):
        attributes["error.type"] = event["status"]
    for key, value in (event.get("metadata") or {}).items():
        attributes[f"aimon.metadata.{key}"] = value
    return attributes


def _otlp_span(
    span: Span, parent_id: str, name: str, started: int, ended: int, attributes: dict, error: str
) -> _SpanItem:
    item = _SpanItem(
        traceId=span.trace_id,
        spanId=span.span_id,
        parentSpanId=parent_id,
        name=name,
        kind=1,  # INTERNAL
        startTimeUnixNano=str(started),
        endTimeUnixNano=str(max(ended, started)),
        attributes=_attributes(attributes),
    )
    if error:
        item["status"] = {"code": 2, "message": error}  # STATUS_CODE_ERROR
    json.dumps(item)  # fail now, in the caller's thread, on values JSON cannot carry
    return item


def _attributes(values: dict) -> list[dict]:
    return [{"key": key, "value": _any_value(value)} for key, value in values.items() if value is not None]


def _any_value(value) -> dict:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [_any_value(v) for v in value]}}
    return {"stringValue": json.dumps(value, sort_keys=True, default=str)}


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
        return value if isinstance(value, dict) else {}
    except ValueError:
        return {}


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


# --- a process-wide default client ------------------------------------------------------------

_default: Client | None = None


def configure(base_url: str, api_key: str, **options) -> Client:
    global _default
    if _default is not None:
        _default.close()
    _default = Client(base_url, api_key, **options)
    return _default


def get_client() -> Client | None:
    return _default


def log_call(function: str, duration_ms: float, **fields) -> str | None:
    if _default is None:
        logger.warning("ai_monitoring_client: log_call before configure(); event dropped")
        return None
    return _default.log_call(function, duration_ms, **fields)


def track(function: str, **fields):
    if _default is None:
        raise RuntimeError("call ai_monitoring_client.configure(...) first")
    return _default.track(function, **fields)


def trace(name: str, **fields):
    if _default is None:
        raise RuntimeError("call ai_monitoring_client.configure(...) first")
    return _default.trace(name, **fields)


def flush(timeout: float | None = 10.0) -> bool:
    return _default.flush(timeout) if _default is not None else True
