"""Streamed CSV of AI calls: constant memory for any number of rows, safe to open in a spreadsheet."""

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone

COLUMNS = (
    "timestamp",
    "event_id",
    "function",
    "provider",
    "model",
    "status",
    "duration_ms",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cost_usd",
    "cost_source",
    "input_hash",
    "output_preview",
    "error_message",
    "user_id",
    "session_id",
    "tenant",
    "actor_type",
    "trace_id",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def neutralise(value):
    """Stop spreadsheets from running client-supplied text as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def rows(queryset):
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for values in queryset.order_by("-timestamp").values_list(*COLUMNS).iterator(chunk_size=2000):
        yield writer.writerow([neutralise(v) for v in values])


def csv_response(queryset) -> StreamingHttpResponse:
    response = StreamingHttpResponse(rows(queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ai-calls-{timezone.now():%Y%m%d-%H%M%S}.csv"'
    return response
