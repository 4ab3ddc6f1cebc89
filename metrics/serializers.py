"""OpenAPI documentation only: metrics.ingest validates samples by hand, for speed."""

from rest_framework import serializers


class MetricSampleSerializer(serializers.Serializer):
    """OpenAPI documentation only: one sample of POST /api/v1/metrics/ (metrics.ingest validates by hand)."""

    name = serializers.RegexField(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$", max_length=200)
    type = serializers.ChoiceField(["counter", "gauge", "histogram", "summary"], default="gauge")
    value = serializers.FloatField(min_value=-1e300, max_value=1e300)
    unit = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=32)
    tags = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        allow_null=True,
        help_text="At most 20; keys match [a-zA-Z_][a-zA-Z0-9_.:-]*, at most 64 characters, no '__'.",
    )
    source = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=100)
    route = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=200)
    timestamp = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Default now; at most one day ahead."
    )
    event_id = serializers.UUIDField(required=False, allow_null=True)
