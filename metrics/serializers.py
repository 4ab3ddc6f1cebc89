"""Serializers for the OpenAPI schema only: ingest validates by hand (metrics.ingest), ~80x
cheaper per item than a ModelSerializer (docs/performance.md)."""

from rest_framework import serializers

from metrics.models import MetricType


class MetricSampleSerializer(serializers.Serializer):
    name = serializers.RegexField(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$", max_length=200)
    type = serializers.ChoiceField(MetricType.choices, default=MetricType.GAUGE)
    value = serializers.FloatField()
    unit = serializers.CharField(max_length=32, required=False)
    tags = serializers.DictField(child=serializers.CharField(max_length=200), required=False)
    source = serializers.CharField(max_length=100, required=False)
    route = serializers.CharField(max_length=200, required=False)
    timestamp = serializers.DateTimeField(required=False)
    event_id = serializers.UUIDField(required=False)


class ItemErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = ItemErrorSerializer(many=True)


class SummarySerializer(serializers.Serializer):
    name = serializers.CharField()
    window = serializers.CharField()
    tags = serializers.DictField(child=serializers.CharField())
    count = serializers.IntegerField()
    sum = serializers.FloatField()
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)
    avg = serializers.FloatField(allow_null=True)
    p50 = serializers.FloatField(allow_null=True)
    p95 = serializers.FloatField(allow_null=True)
    p99 = serializers.FloatField(allow_null=True)
