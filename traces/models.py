"""Spans received over OTLP (raw, partitioned by day on PostgreSQL)."""

from django.db import models

NAME_CHARS = 500
STATUS_MESSAGE_CHARS = 4000
IDENTITY = ("trace_id", "span_id", "start_time")  # what makes a span unique (a repeat is stored once)


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
    (migration 0002), so its primary key is (id, start_time) and a span is unique per
    (trace_id, span_id, start_time): a repeated export (the same span, so the same start) lands
    in the same day's partition and is stored once, checked by that partition's own index."""

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
        constraints = [
            # idempotency, and (by its first column) the trace page and GET /api/v1/traces/{id}/
            models.UniqueConstraint(fields=IDENTITY, name="traces_span_identity"),
        ]
        indexes = [
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
