"""Spans received over OTLP (raw, partitioned by day on PostgreSQL) and the keys that make a
repeated export idempotent."""

from django.db import models
from django.db.models.functions import Now

NAME_CHARS = 500
STATUS_MESSAGE_CHARS = 4000


class SpanKind(models.IntegerChoices):
    """OTLP's Span.SpanKind numbers."""

    UNSPECIFIED = 0
    INTERNAL = 1
    SERVER = 2
    CLIENT = 3
    PRODUCER = 4
    CONSUMER = 5


class SpanStatus(models.IntegerChoices):
    """OTLP's Status.StatusCode numbers."""

    UNSET = 0
    OK = 1
    ERROR = 2


class Span(models.Model):
    """One finished span. On PostgreSQL the table is partitioned by day on `start_time`
    (migration 0002), so its primary key is (id, start_time) and (trace_id, span_id) uniqueness
    lives in SpanKey, through `key`."""

    key = models.CharField(max_length=48, help_text="trace_id + span_id: a repeated export is stored once.")
    trace_id = models.CharField(max_length=32, help_text="32 lowercase hex digits.")
    span_id = models.CharField(max_length=16, help_text="16 lowercase hex digits.")
    parent_span_id = models.CharField(max_length=16, blank=True)
    name = models.CharField(max_length=NAME_CHARS)
    kind = models.SmallIntegerField(choices=SpanKind.choices, default=SpanKind.INTERNAL)
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    duration_ms = models.FloatField()
    status_code = models.SmallIntegerField(choices=SpanStatus.choices, default=SpanStatus.UNSET)
    status_message = models.TextField(blank=True)
    service_name = models.CharField(max_length=200, blank=True, help_text="Resource attribute service.name.")
    scope = models.CharField(max_length=200, blank=True, help_text="Instrumentation scope name.")
    session_id = models.CharField(max_length=255, blank=True)
    tenant = models.CharField(max_length=100, blank=True)
    user_id = models.CharField(max_length=255, blank=True)
    is_genai = models.BooleanField(default=False, help_text="Carries gen_ai.* attributes: also an AI call.")
    attributes = models.JSONField(default=dict, blank=True)
    resource_attributes = models.JSONField(default=dict, blank=True)
    events = models.JSONField(default=list, blank=True, help_text="Exception events only.")

    class Meta:
        indexes = [
            # the trace page and GET /api/v1/traces/{trace_id}/: every span of one trace
            models.Index(fields=["trace_id"], name="traces_span_trace"),
            # slowest traces over a window (dashboard): root spans only, a small partial index
            models.Index(fields=["start_time"], condition=models.Q(parent_span_id=""), name="traces_span_root_start"),
            # a session's traces (sessions list and page): root spans that carry a session id
            models.Index(
                fields=["session_id"],
                condition=models.Q(parent_span_id="") & ~models.Q(session_id=""),
                name="traces_span_root_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.trace_id}/{self.span_id})"

    @property
    def is_error(self) -> bool:
        return self.status_code == SpanStatus.ERROR


class SpanKey(models.Model):
    """(trace_id, span_id) pairs already stored: the partitioned span table cannot hold a unique
    index without the partition key, so this small table does (like metrics.MetricEventId)."""

    key = models.CharField(max_length=48, primary_key=True)
    created_at = models.DateTimeField(db_default=Now(), db_index=True)

    def __str__(self) -> str:
        return self.key
