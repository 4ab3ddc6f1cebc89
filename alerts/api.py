"""/api/v1/alert-rules/, /api/v1/notification-channels/, /api/v1/alerts/ and the ack action."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import services
from alerts.models import Alert, AlertRule, NotificationChannel, Severity
from alerts.serializers import AlertRuleSerializer, AlertSerializer, NotificationChannelSerializer
from monitoring_site.api import CursorPages
from monitoring_site.roles import ADMIN, MODERATOR

WRITE = {m: "alerts:write" for m in ("GET", "POST", "PUT", "PATCH", "DELETE")}


class AlertRuleViewSet(viewsets.ModelViewSet):
    queryset = AlertRule.objects.prefetch_related("channels").order_by("pk")
    serializer_class = AlertRuleSerializer
    required_scopes = WRITE


class NotificationChannelViewSet(viewsets.ModelViewSet):
    queryset = NotificationChannel.objects.order_by("pk")
    serializer_class = NotificationChannelSerializer
    required_scopes = WRITE


class NewestFirst(CursorPages):
    ordering = ("-started_at", "-id")


def _choice(choices) -> serializers.ChoiceField:
    values = [value for value, _ in choices]
    return serializers.ChoiceField(
        choices=values,
        required=False,
        allow_blank=True,  # an empty filter (?state=) means no filter: the list skips it
        error_messages={"invalid_choice": f'"{{input}}" is not a valid choice: use one of {", ".join(values)}.'},
    )


class AlertFilters(serializers.Serializer):
    """The list's query parameters: a bad value is a 400 naming the allowed ones, never a 500 or silence."""

    state = _choice(Alert.State.choices)
    severity = _choice(Severity.choices)
    rule = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,  # beyond a bigint the database refuses the query (a 500)
        error_messages={
            "invalid": "Use a rule id (a whole number >= 1).",
            "min_value": "Use a rule id (a whole number >= 1).",
            "max_value": "No rule has an id that large.",
        },
    )
    since = serializers.DateTimeField(
        required=False,
        error_messages={"invalid": "Use an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z."},
        help_text="Alerts started at or after this time.",
    )
    until = serializers.DateTimeField(
        required=False,
        error_messages={"invalid": "Use an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z."},
        help_text="Alerts started before this time.",
    )

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": "until must be after since."})
        return attrs


@extend_schema_view(list=extend_schema(parameters=[AlertFilters]))
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AlertSerializer
    required_scopes = {"GET": "alerts:read"}
    pagination_class = NewestFirst  # alerts accumulate for a year: pages, never one huge list

    def get_queryset(self):
        return Alert.objects.select_related("rule", "acknowledged_by")

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        params = {k: v for k, v in self.request.query_params.items() if k in AlertFilters().fields and v != ""}
        filters = AlertFilters(data=params)
        filters.is_valid(raise_exception=True)
        lookups = {
            "state": "state",
            "severity": "severity",
            "rule": "rule_id",
            "since": "started_at__gte",
            "until": "started_at__lt",
        }
        return queryset.filter(**{lookups[k]: v for k, v in filters.validated_data.items()})


class AcknowledgeView(APIView):
    """POST /api/v1/alerts/{id}/ack/: stop the repeats of a firing alert (Moderators may, too)."""

    required_scopes = {"POST": "alerts:write"}
    session_roles = {"alerts:write": (ADMIN, MODERATOR)}

    @extend_schema(request=None, responses={200: AlertSerializer, 409: None})
    def post(self, request, pk: int):
        alert = get_object_or_404(Alert.objects.select_related("rule"), pk=pk)
        if alert.state == Alert.State.RESOLVED:
            return Response({"detail": "This alert is resolved; there is nothing to acknowledge."}, status=409)
        services.acknowledge(alert, request.user)  # a person, or an API key as key:<name>
        alert.refresh_from_db()
        return Response(AlertSerializer(alert).data)
