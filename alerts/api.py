"""/api/v1/alert-rules/, /api/v1/notification-channels/, /api/v1/alerts/ and the ack action."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import services
from alerts.models import Alert, AlertRule, NotificationChannel
from alerts.serializers import AlertRuleSerializer, AlertSerializer, NotificationChannelSerializer
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


class NewestFirst(CursorPagination):
    ordering = ("-started_at", "-id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AlertSerializer
    required_scopes = {"GET": "alerts:read"}
    pagination_class = NewestFirst  # alerts accumulate for a year: pages, never one huge list

    def get_queryset(self):
        alerts = Alert.objects.select_related("rule", "acknowledged_by")
        params = self.request.query_params
        for field in ("state", "severity", "rule"):
            if params.get(field):
                alerts = alerts.filter(**{field: params[field]})
        return alerts


class AcknowledgeView(APIView):
    """POST /api/v1/alerts/{id}/ack/: stop the repeats of a firing alert (Moderators may, too)."""

    required_scopes = {"POST": "alerts:write"}
    session_roles = {"alerts:write": (ADMIN, MODERATOR)}

    @extend_schema(request=None, responses={200: AlertSerializer, 409: None})
    def post(self, request, pk: int):
        alert = get_object_or_404(Alert.objects.select_related("rule"), pk=pk)
        if alert.state == Alert.State.RESOLVED:
            return Response({"detail": "This alert is resolved; there is nothing to acknowledge."}, status=409)
        user = request.user if getattr(request.user, "pk", None) else None
        services.acknowledge(alert, user)
        alert.refresh_from_db()
        return Response(AlertSerializer(alert).data)
