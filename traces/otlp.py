"""OTLP/HTTP bodies in and out, with the official `opentelemetry-proto` classes.

Protobuf is parsed as is. OTLP/JSON is the protobuf JSON mapping with two exceptions the OTLP
spec makes: trace and span ids are hex (not base64) and enums may be integers; the ids are turned
into base64 here and the rest is parsed by `json_format`, so both encodings reach the same message.
"""

import base64
import json
import math
import zlib

from django.conf import settings
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from monitoring_site.parsers import json_problem

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MEDIA_TYPES = (PROTOBUF, JSON)
ID_FIELDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


class Undecodable(Exception):
    """The body is not an OTLP trace export in the declared encoding (a 400)."""


class TooLarge(Exception):
    """The body, once decompressed, is over the limit (a 413)."""


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def gunzip(body: bytes, limit: int) -> bytes:
    """Decompress at most `limit` bytes: a small gzip bomb must not expand without bound."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise Undecodable(f"Content-Encoding is gzip but the body is not valid gzip: {exc}.") from None
    if len(data) > limit:
        raise TooLarge(f"Decompressed body is larger than {limit} bytes.")
    if not inflater.eof:
        raise Undecodable("Content-Encoding is gzip but the body is a truncated gzip stream.")
    return data


def decode(body: bytes, kind: str) -> ExportTraceServiceRequest:
    """Return the export request in `body`, whose media type is `kind` (one of MEDIA_TYPES)."""
    message = ExportTraceServiceRequest()
    if kind == PROTOBUF:
        try:
            message.ParseFromString(body)
        except DecodeError as exc:
            raise Undecodable(f"Body is not a valid protobuf ExportTraceServiceRequest: {exc}.") from None
        return message
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Undecodable(f"Body is not valid JSON: {exc}.") from None
    except RecursionError:
        raise Undecodable(f"JSON nested deeper than {settings.API_MAX_JSON_DEPTH} levels.") from None
    if not isinstance(data, dict):
        raise Undecodable("Body must be a JSON object (an OTLP ExportTraceServiceRequest).")
    # protobuf's JSON parser fails with a SystemError on a lone surrogate in a key: refuse first.
    problem = json_problem(data, body)
    if problem is not None:
        raise Undecodable(problem)
    _hex_ids_to_base64(data)
    try:
        json_format.ParseDict(data, message, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError) as exc:
        raise Undecodable(f"Body is not an OTLP/JSON ExportTraceServiceRequest: {exc}.") from None
    return message


def _hex_ids_to_base64(data: dict) -> None:
    """Rewrite hex ids in place; an id that is not hex becomes empty, so the span is refused
    later with a message that names the field instead of failing the whole export."""
    for resource in _list(data, "resourceSpans", "resource_spans"):
        for scope in _list(resource, "scopeSpans", "scope_spans"):
            for span in _list(scope, "spans"):
                _convert(span)
                for link in _list(span, "links"):
                    _convert(link)


def _list(parent, *names: str) -> list:
    if not isinstance(parent, dict):
        return []
    for name in names:
        value = parent.get(name)
        if isinstance(value, list):
            return value
    return []


def _convert(item) -> None:
    if not isinstance(item, dict):
        return
    for name in ID_FIELDS:
        value = item.get(name)
        if isinstance(value, str):
            try:
                item[name] = base64.b64encode(bytes.fromhex(value)).decode()
            except ValueError:
                item[name] = ""


def value(any_value):
    """An OTLP AnyValue as plain JSON-able Python."""
    which = any_value.WhichOneof("value")
    if which in _SCALARS:
        return getattr(any_value, which)
    if which is None:
        return None
    if which == "array_value":
        return [value(item) for item in any_value.array_value.values]
    if which == "kvlist_value":
        return attributes(any_value.kvlist_value.values)
    if which == "bytes_value":
        return base64.b64encode(any_value.bytes_value).decode()
    double = any_value.double_value
    return double if math.isfinite(double) else None  # JSON (and jsonb) has no NaN or Infinity


_SCALARS = frozenset(("string_value", "int_value", "bool_value"))


def attributes(key_values) -> dict:
    found = {}
    for kv in key_values:
        item = kv.value
        which = item.WhichOneof("value")
        # strings are most attributes: read them here, without a call per attribute
        found[kv.key] = item.string_value if which == "string_value" else value(item)
    return found


def response(rejected: int, error_message: str, kind: str) -> bytes:
    """The 200 answer: an ExportTraceServiceResponse, with partial_success only when something was refused."""
    message = ExportTraceServiceResponse()
    if rejected:
        message.partial_success.rejected_spans = rejected
        message.partial_success.error_message = error_message
    return _encode(message, kind)


def status(code: int, detail: str, kind: str) -> bytes:
    """An error answer: a google.rpc.Status, as the OTLP/HTTP spec asks for 4xx and 5xx bodies."""
    return _encode(status_pb2.Status(code=code, message=detail), kind)


def _encode(message, kind: str) -> bytes:
    if kind == PROTOBUF:
        return message.SerializeToString()
    return json_format.MessageToJson(message, indent=None).encode()
