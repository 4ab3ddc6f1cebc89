"""POST /api/v1/events/ (SPEC section 10, scope events:write): deploy, config and note markers."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.models import Event

FUTURE_TOLERANCE = timedelta(hours=1)


class EventSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(
        choices=Event.Kind.values,
        error_messages={
            "invalid_choice": f'"{{input}}" is not a valid kind: use one of {", ".join(Event.Kind.values)}.'
        },
    )
    timestamp = serializers.DateTimeField(
        required=False, error_messages={"invalid": "Use an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z."}
    )

    class Meta:
        model = Event
        fields = ["id", "kind", "title", "version", "url", "tenant", "timestamp", "created_by_label"]
        read_only_fields = ["created_by_label"]

    def validate_url(self, value: str) -> str:
        if value and not value.lower().startswith(("https://", "http://")):
            raise serializers.ValidationError("Use an http:// or https:// link.")
        return value

    def validate_timestamp(self, value):
        if value > timezone.now() + FUTURE_TOLERANCE:
            raise serializers.ValidationError("The timestamp is more than an hour in the future.")
        return value


class EventView(APIView):
    required_scopes = {"POST": "events:write"}

    @extend_schema(request=EventSerializer, responses={201: EventSerializer})
    def post(self, request):
        serializer = EventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = serializer.save(created_by_label=str(request.user)[:150])
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)
