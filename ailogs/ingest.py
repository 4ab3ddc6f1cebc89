"""Validate AI-call events and store a batch with one COPY.

Two paths with one outcome. The fast one (`decode_valid`) decodes and checks a whole request body
in one pass in C with msgspec typed structs; it answers only "every event is valid" (then the rows
go straight to COPY) or "not sure", never an error. Anything else (an invalid event, a value it
types more narrowly such as 5.0 tokens) goes through `ingest`, which checks each field by hand and
returns the DRF-style field errors of the SPEC. `ingest` also takes already-decoded events from
other entry points (e.g. OTLP spans converted to event dicts).

A DRF ModelSerializer costs ~46 us per event, about 80x the hand checks (docs/performance.md).
"""

import hashlib
import json
import math
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ailogs.models import (
    MAX_COST_USD,
    MAX_DURATION_MS,
    MAX_TOKENS,
    METADATA_MAX_BYTES,
    OUTPUT_PREVIEW_CHARS,
    AiCall,
    AiCallEventId,
    CostSource,
    Status,
)
from ailogs.pricing import price_book
from monitoring_site.lib.ingest import insert_new_rows
from monitoring_site.lib.text import clip

STATUSES = frozenset(Status.values)
HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
# Optional strings: field -> longest accepted value (longer is an error, never a silent cut).
STRINGS = {
    "provider": 50,
    "model": 100,
    "user_id": 255,
    "session_id": 255,
    "tenant": 100,
    "actor_type": 50,
    "trace_id": 255,
}
ERROR_MESSAGE_CHARS = 4000
# output_preview and error_message are stored cut (to OUTPUT_PREVIEW_CHARS / ERROR_MESSAGE_CHARS,
# ending in "…"); longer than this they are refused, so a client learns it sends far too much.
LONG_TEXT_CHARS = 100_000
STRING_FIELDS = tuple(STRINGS.items())
TOKEN_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")
NUMBER = (int, float)
# Upper bounds (ailogs.models): every stored value stays far below what its column and the sums
# over it can hold (two 1.7e308 durations overflowed SUM() in PostgreSQL and broke stats until
# deleted; a total of two 2**31-1 counts overflowed the integer column). 1e9 + 1e9 still fits.


class Invalid(Exception):
    pass


class Context:
    """What every event of one request is checked against, computed once per request."""

    __slots__ = ("now", "earliest", "latest", "book")

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or timezone.now()
        self.latest = self.now + timedelta(seconds=settings.AILOGS_MAX_FUTURE_SECONDS)
        # Older than retention would be purged at once, and its hour's rollup may be final already.
        self.earliest = self.now - timedelta(days=settings.RETENTION_AI_LOGS_DAYS)
        self.book = price_book()


def _text(value, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid("Not a valid string.")
    if len(value) > limit:
        raise Invalid(f"Ensure this field has no more than {limit} characters.")
    return value


def _count(value) -> int:
    if value is None:
        return 0
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(value, float) and not value.is_integer())
    ):
        raise Invalid("A valid integer is required.")
    if value < 0 or value > MAX_TOKENS:
        raise Invalid(f"Ensure this value is between 0 and {MAX_TOKENS}.")
    return int(value)


def _number(value, limit: float, unit: str = "") -> float:
    # isfinite() only for floats: a JSON integer of 400 digits overflows float() (an OverflowError).
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (type(value) is float and not math.isfinite(value))
    ):
        raise Invalid("A valid number is required.")
    if value < 0:
        raise Invalid("Ensure this value is greater than or equal to 0.")
    if value > limit:
        raise Invalid(f"Ensure this value is less than or equal to {limit}{unit}.")
    return float(value)


def _timestamp(value, context: Context) -> datetime:
    if value is None:
        return context.now
    if not isinstance(value, str):
        raise Invalid("Datetime has wrong format. Use ISO 8601.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid("Datetime has wrong format. Use ISO 8601.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed > context.latest:
        raise Invalid("Timestamp is in the future.")
    if parsed < context.earliest:
        raise Invalid(f"Timestamp is older than the retention period ({settings.RETENTION_AI_LOGS_DAYS} days).")
    return parsed


def _event_id(value):
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Invalid("Must be a valid UUID.") from None


def _metadata(value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid(f'Expected a dictionary of items but got type "{type(value).__name__}".')
    if _json_bytes(value) > METADATA_MAX_BYTES:
        raise Invalid(f"Metadata must be at most {METADATA_MAX_BYTES} bytes of JSON.")
    return value


_JSON = msgspec.json.Encoder()


def _json_bytes(value) -> int:
    """Size of value as compact UTF-8 JSON (as jsonb receives it); msgspec writes it 4x faster
    than json.dumps. A lone surrogate cannot be UTF-8: sized escaped, then refused by name
    (_check_encodable)."""
    try:
        return len(_JSON.encode(value))
    except UnicodeEncodeError:
        return len(json.dumps(value, separators=(",", ":")))


def _input_hash(item: dict) -> str:
    if item.get("input") is not None:
        raw = item["input"]
        text = raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True, separators=(",", ":"))
        try:
            return hashlib.sha256(text.encode()).hexdigest()
        except UnicodeEncodeError:
            raise Invalid("Contains a lone surrogate (e.g. \\ud800): text must be valid Unicode.") from None
    value = item.get("input_hash")
    if value is None:
        return ""
    if not isinstance(value, str) or not HEX64.match(value):
        raise Invalid("Must be 64 hexadecimal characters (SHA-256).")
    return value.lower()


def _shown(value) -> str:
    """A client's value as an error message quotes it: JSON, at most 50 characters."""
    text = json.dumps(value)
    return text if len(text) <= 50 else text[:49] + "…"


def _field(errors: dict, name: str, check, *args):
    try:
        return check(*args)
    except Invalid as exc:
        errors[name] = [str(exc)]
        return None


def validate(item, context: Context) -> tuple[dict | None, dict]:
    """Return (row, {}) for a valid event, or (None, DRF-style field errors).

    Each field has an inline fast path for the common well-formed value; anything else goes
    through its checker above, which either converts it or says what is wrong.
    """
    if type(item) is not dict:
        return None, {"non_field_errors": ["Invalid data. Expected a dictionary."]}
    errors: dict = {}
    get = item.get
    row: dict = {}
    for name, limit in STRING_FIELDS:
        value = get(name)
        row[name] = value if type(value) is str and len(value) <= limit else _field(errors, name, _text, value, limit)
    function = get("function")
    if function is None or function == "":
        errors["function"] = ["This field is required."]
    elif not (type(function) is str and len(function) <= 100):
        _field(errors, "function", _text, function, 100)
    row["function"] = function
    duration = get("duration_ms")
    if duration is None:
        errors["duration_ms"] = ["This field is required."]
    elif type(duration) in NUMBER and 0 <= duration <= MAX_DURATION_MS:
        row["duration_ms"] = float(duration)
    else:
        row["duration_ms"] = _field(errors, "duration_ms", _number, duration, MAX_DURATION_MS, " (one day)")
    status = get("status")
    if status is None:
        status = Status.SUCCESS
    elif type(status) is not str or status not in STATUSES:  # a list or object is unhashable
        errors["status"] = [f"{_shown(status)} is not a valid choice. Choose one of {', '.join(Status.values)}."]
    row["status"] = status
    for name in TOKEN_FIELDS:
        value = get(name)
        row[name] = value if type(value) is int and 0 <= value <= MAX_TOKENS else _field(errors, name, _count, value)
    row["event_id"] = _field(errors, "event_id", _event_id, get("event_id"))
    row["timestamp"] = _field(errors, "timestamp", _timestamp, get("timestamp"), context)
    metadata = get("metadata")
    row["metadata"] = {} if metadata is None or metadata == {} else _field(errors, "metadata", _metadata, metadata)
    row["input_hash"] = _field(errors, "input_hash" if get("input") is None else "input", _input_hash, item)
    for name in ("output_preview", "error_message"):
        value = get(name)
        row[name] = (
            value
            if type(value) is str and len(value) <= LONG_TEXT_CHARS
            else _field(errors, name, _text, value, LONG_TEXT_CHARS)
        )
    cost = get("cost_usd")
    row["cost_usd"] = None if cost is None else _field(errors, "cost_usd", _number, cost, MAX_COST_USD)
    if not errors:
        _check_encodable(row, errors)
    if errors:
        return None, errors
    return _finish(row, item, context.book), {}


def _check_encodable(row: dict, errors: dict) -> None:
    """Name each text field holding a lone surrogate ("\\ud800" is valid JSON, not valid UTF-8):
    PostgreSQL could not store it, and the whole batch would fail at COPY."""
    values = [(name, value) for name, value in row.items() if type(value) is str and not value.isascii()]
    if row["metadata"]:
        values.append(("metadata", json.dumps(row["metadata"], ensure_ascii=False)))
    for name, value in values:
        try:
            value.encode()
        except UnicodeEncodeError:
            errors[name] = ["Contains a lone surrogate (e.g. \\ud800): text must be valid Unicode."]


def _finish(row: dict, item: dict, book) -> dict:
    """Fill derived fields of a valid row: truncations, total tokens, cost."""
    row["output_preview"] = clip(row["output_preview"], OUTPUT_PREVIEW_CHARS)
    row["error_message"] = clip(row["error_message"], ERROR_MESSAGE_CHARS)
    if item.get("total_tokens") is None:
        row["total_tokens"] = row["prompt_tokens"] + row["completion_tokens"]
    if row["cost_usd"] is not None:
        row["cost_source"] = CostSource.REPORTED
    else:
        cached = row["metadata"].get("cached_tokens")
        cached = cached if isinstance(cached, int) and not isinstance(cached, bool) else 0
        row["cost_usd"], row["cost_source"] = book.cost(
            row["provider"], row["model"], row["timestamp"], row["prompt_tokens"], row["completion_tokens"], cached
        )
    return row


def _text_type(limit: int):
    return Annotated[str, msgspec.Meta(max_length=limit)] | None


_Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_TOKENS)] | None


class _Event(msgspec.Struct):
    """What `validate` accepts, narrowed to the common JSON shapes (unknown keys are ignored, as there)."""

    function: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    duration_ms: Annotated[float, msgspec.Meta(ge=0, le=MAX_DURATION_MS)]
    provider: _text_type(STRINGS["provider"]) = None
    model: _text_type(STRINGS["model"]) = None
    user_id: _text_type(STRINGS["user_id"]) = None
    session_id: _text_type(STRINGS["session_id"]) = None
    tenant: _text_type(STRINGS["tenant"]) = None
    actor_type: _text_type(STRINGS["actor_type"]) = None
    trace_id: _text_type(STRINGS["trace_id"]) = None
    status: Literal["success", "error", "timeout"] | None = None
    prompt_tokens: _Count = None
    completion_tokens: _Count = None
    total_tokens: _Count = None
    event_id: uuid.UUID | None = None
    timestamp: str | None = None
    metadata: dict | None = None
    input: Any = None
    input_hash: Annotated[str, msgspec.Meta(pattern="^[0-9a-fA-F]{64}$")] | None = None
    output_preview: Annotated[str, msgspec.Meta(max_length=LONG_TEXT_CHARS)] | None = None
    error_message: Annotated[str, msgspec.Meta(max_length=LONG_TEXT_CHARS)] | None = None
    cost_usd: Annotated[float, msgspec.Meta(ge=0, le=MAX_COST_USD)] | None = None


_DECODER = msgspec.json.Decoder(list[_Event] | _Event)


class ValidBatch(list):
    """Rows of a request body that decode_valid found entirely valid, ready for `store_valid`."""


def decode_valid(body: bytes) -> ValidBatch | None:
    """Decode and check a whole JSON body in one pass; the rows when every event is valid, else None.

    None means "use json + ingest()": that path alone words errors, so both answer the same.
    """
    try:
        decoded = _DECODER.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return _valid_rows(decoded if type(decoded) is list else [decoded], storable=True)


def convert_valid(items: list, storable: bool = False) -> ValidBatch | None:
    """decode_valid for events already decoded (OTLP spans, the demo): the rows when every event
    is valid, else None. Python strings, unlike JSON text, can hold a lone surrogate, so each row
    is also checked for what PostgreSQL could not store, unless the caller knows its text is
    `storable` (valid UTF-8 without NUL)."""
    try:
        events = msgspec.convert(items, list[_Event])
    except msgspec.ValidationError:
        return None
    return _valid_rows(events, storable=storable)


def _valid_rows(events: list[_Event], storable: bool) -> ValidBatch | None:
    """The rows of these typed events, or None at the first one a check outside the types (or,
    unless the text is known `storable`, PostgreSQL) would refuse."""
    context = Context()
    rows = ValidBatch()
    for event in events:
        row = _fast_row(event, context)
        if row is None:
            return None
        if not storable:
            unstorable: dict = {}
            _check_encodable(row, unstorable)
            if unstorable:
                return None
        rows.append(row)
    return rows


def _fast_row(event: _Event, context: Context) -> dict | None:
    """The row `validate` would build from this event, or None when a check outside the types fails."""
    # The parser refuses bodies nested deeper than API_MAX_JSON_DEPTH; only these two fields can
    # nest, and below the body's list and the event object they have depth - 2 levels left.
    levels = settings.API_MAX_JSON_DEPTH - 2
    if _deeper(event.metadata, levels) or _deeper(event.input, levels):
        return None
    try:
        timestamp = _timestamp(event.timestamp, context)
        metadata = {} if not event.metadata else _metadata(event.metadata)
        if event.input is not None:
            input_hash = _input_hash({"input": event.input})
        else:
            input_hash = "" if event.input_hash is None else event.input_hash.lower()
    except Invalid:
        return None
    row = {
        "provider": event.provider or "",
        "model": event.model or "",
        "user_id": event.user_id or "",
        "session_id": event.session_id or "",
        "tenant": event.tenant or "",
        "actor_type": event.actor_type or "",
        "trace_id": event.trace_id or "",
        "function": event.function,
        "duration_ms": event.duration_ms,
        "status": event.status or Status.SUCCESS,
        "prompt_tokens": event.prompt_tokens or 0,
        "completion_tokens": event.completion_tokens or 0,
        "total_tokens": event.total_tokens or 0,
        "event_id": event.event_id,
        "timestamp": timestamp,
        "metadata": metadata,
        "input_hash": input_hash,
        "output_preview": event.output_preview or "",
        "error_message": event.error_message or "",
        "cost_usd": event.cost_usd,
    }
    return _finish(row, {"total_tokens": event.total_tokens}, context.book)


def _deeper(value, levels: int) -> bool:
    """True when containers nest more than `levels` deep in value (a scalar has depth 0)."""
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list):
        return False
    if levels <= 0:
        return True
    return any(_deeper(item, levels - 1) for item in value if isinstance(item, (dict, list)))


def store_valid(rows: ValidBatch, api_key: str = "") -> dict:
    """Store rows from decode_valid; the same response body as `ingest`."""
    for row in rows:
        row["api_key"] = api_key
    inserted = _store(rows)
    return {"accepted": inserted, "duplicates": len(rows) - inserted, "errors": []}


def ingest(items: list, api_key: str = "", storable: bool = False) -> dict:
    """Validate and store a batch; return the response body {"accepted", "duplicates", "errors"}.

    `api_key` is the name of the key that sent it (per-key cost alerts and budgets); `storable`
    as in convert_valid.
    """
    valid = convert_valid(items, storable)
    if valid is not None:
        return store_valid(valid, api_key)
    context = Context()
    rows, errors = [], []
    for index, item in enumerate(items):
        row, item_errors = validate(item, context)
        if item_errors:
            errors.append({"index": index, "errors": item_errors})
        else:
            row["api_key"] = api_key
            rows.append(row)
    inserted = _store(rows) if rows else 0
    return {"accepted": inserted, "duplicates": len(rows) - inserted, "errors": errors}


def _store(rows: list[dict]) -> int:
    """One INSERT (or COPY) in autocommit: the whole database cost of a request.

    A valid single event waits mostly for its commit's WAL flush (sampled in pg_stat_activity
    under load: IO:WALSync / LWLock:WALWrite; docs/performance/ailogs.md). AILOGS_SYNCHRONOUS_COMMIT
    = False (opt-in) answers without waiting for that flush: ~2x single-event throughput, at the
    price of losing the last fraction of a second of acknowledged events if PostgreSQL itself
    crashes (never corruption; a web-process crash loses nothing).
    """
    if settings.AILOGS_SYNCHRONOUS_COMMIT or connection.vendor != "postgresql":
        return insert_new_rows(AiCall, rows, key_model=AiCallEventId)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")  # this transaction only
        return insert_new_rows(AiCall, rows, key_model=AiCallEventId)
