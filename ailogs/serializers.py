"""Read serializers. Ingest does not use one (see ailogs.ingest for why)."""

from rest_framework import serializers

from ailogs.models import AiCall


class AiCallSerializer(serializers.ModelSerializer):
    class Meta:
        model = AiCall
        fields = [
            "id",
            "event_id",
            "timestamp",
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
            "metadata",
        ]


# --- OpenAPI documentation only: ingest validates by hand (ailogs.ingest) for speed ----------


class AiCallEventSerializer(serializers.Serializer):
    event_id = serializers.UUIDField(required=False, allow_null=True)
    function = serializers.CharField(max_length=100)
    provider = serializers.CharField(max_length=50, required=False, allow_null=True, allow_blank=True)
    model = serializers.CharField(max_length=100, required=False, allow_null=True, allow_blank=True)
    status = serializers.ChoiceField(
        ["success", "error", "timeout"], default="success", allow_null=True, help_text="null: success."
    )
    duration_ms = serializers.FloatField(min_value=0, max_value=86_400_000, help_text="At most one day.")
    prompt_tokens = serializers.IntegerField(min_value=0, max_value=1_000_000_000, required=False, allow_null=True)
    completion_tokens = serializers.IntegerField(min_value=0, max_value=1_000_000_000, required=False, allow_null=True)
    total_tokens = serializers.IntegerField(min_value=0, max_value=1_000_000_000, required=False, allow_null=True)
    cost_usd = serializers.FloatField(
        min_value=0,
        max_value=1_000_000,
        required=False,
        allow_null=True,
        help_text="Computed from the price table when absent.",
    )
    input = serializers.JSONField(required=False, allow_null=True, help_text="SHA-256 hashed on arrival, never stored.")
    input_hash = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$", required=False, allow_null=True, help_text="SHA-256, 64 hex digits."
    )
    output_preview = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=100_000,
        help_text="Stored cut to 500 characters, ending in '…'.",
    )
    error_message = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=100_000,
        help_text="Stored cut to 4,000 characters, ending in '…'.",
    )
    user_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=255)
    session_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=255)
    tenant = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=100)
    actor_type = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=50)
    trace_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=255)
    timestamp = serializers.DateTimeField(required=False, allow_null=True)
    metadata = serializers.DictField(required=False, allow_null=True, help_text="At most 8 KB as JSON.")


class DurationSerializer(serializers.Serializer):
    avg = serializers.FloatField(allow_null=True)
    p50 = serializers.FloatField(allow_null=True)
    p95 = serializers.FloatField(allow_null=True)
    p99 = serializers.FloatField(allow_null=True)


class StatsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    errors = serializers.IntegerField()
    error_rate = serializers.FloatField(help_text="Percent.")
    duration_ms = DurationSerializer()
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()
    cost_usd = serializers.FloatField()
    unpriced = serializers.IntegerField(help_text="Calls whose model has no price: their cost is unknown, not 0.")


class WindowStatsSerializer(StatsSerializer):
    window = serializers.CharField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    group_by = serializers.CharField(allow_null=True)
    groups = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="Stats per group, with the group_by field."
    )
