"""GET /api/v1/traces/{trace_id}/: the trace's spans with parent ids, and its AI calls."""

from rest_framework import serializers

from traces.models import Span, SpanKind, SpanStatus


class SpanSerializer(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = Span
        fields = [
            "span_id",
            "parent_span_id",
            "name",
            "kind",
            "start_time",
            "end_time",
            "duration_ms",
            "status",
            "status_message",
            "service_name",
            "scope",
            "session_id",
            "tenant",
            "user_id",
            "attributes",
            "resource_attributes",
            "events",
        ]

    def get_kind(self, span: Span) -> str:
        return SpanKind(span.kind).label.lower() if span.kind in SpanKind.values else "unspecified"

    def get_status(self, span: Span) -> str:
        return SpanStatus(span.status_code).label.lower()


class TraceCallSerializer(serializers.Serializer):
    event_id = serializers.UUIDField(allow_null=True)
    span_id = serializers.SerializerMethodField()
    timestamp = serializers.DateTimeField()
    function = serializers.CharField()
    model = serializers.CharField()
    provider = serializers.CharField()
    status = serializers.CharField()
    duration_ms = serializers.FloatField()
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()
    cost_usd = serializers.FloatField(allow_null=True)

    def get_span_id(self, call: dict) -> str | None:
        return call["metadata"].get("span_id") if isinstance(call["metadata"], dict) else None


class TraceSerializer(serializers.Serializer):
    trace_id = serializers.CharField()
    duration_ms = serializers.FloatField()
    cost_usd = serializers.FloatField()
    total_tokens = serializers.IntegerField()
    errors = serializers.IntegerField()
    session_id = serializers.CharField()
    truncated = serializers.BooleanField(help_text="More spans exist than the page loads (5,000).")
    spans = SpanSerializer(many=True)
    ai_calls = TraceCallSerializer(many=True, source="calls")
