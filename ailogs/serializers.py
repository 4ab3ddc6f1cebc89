"""Read serializers. Ingest does not use one (see ailogs.ingest for why)."""

from rest_framework import serializers

from ailogs.models import AiCall


class AiCallSerializer(serializers.ModelSerializer):
    class Meta:
        model = AiCall
        fields = [
            "id", "event_id", "timestamp", "function", "provider", "model", "status", "duration_ms",
            "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "cost_source", "input_hash",
            "output_preview", "error_message", "user_id", "session_id", "tenant", "actor_type", "trace_id", "metadata",
        ]
