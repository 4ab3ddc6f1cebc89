"""Streamed CSV of AI calls: constant memory for any number of rows, safe to open in a spreadsheet."""

from django.utils import timezone

from monitoring_site.lib.csv_export import stream_csv
from monitoring_site.replica import read_alias, replica_reads

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


def csv_response(queryset):
    """The filtered AI calls as a streamed, formula-safe CSV download, newest first.

    Read from the replica when it is fresh; bound now, since the rows stream after the view returns.
    """
    with replica_reads():
        queryset = queryset.using(read_alias())
    rows = queryset.order_by("-timestamp").values_list(*COLUMNS).iterator(chunk_size=2000)
    return stream_csv(COLUMNS, rows, f"ai-calls-{timezone.now():%Y%m%d-%H%M%S}.csv")
