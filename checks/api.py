"""/api/v1/checks/ (SPEC section 10) and /api/v1/monitors/: a deploy script creates its own."""

from rest_framework import viewsets

from checks.models import Check, Monitor
from checks.serializers import CheckSerializer, MonitorSerializer

CHECK_SCOPES = {"GET": "checks:read", "POST": "checks:write", "PUT": "checks:write", "PATCH": "checks:write"} | {
    "DELETE": "checks:write"
}


class CheckViewSet(viewsets.ModelViewSet):
    queryset = Check.objects.order_by("pk")
    serializer_class = CheckSerializer
    required_scopes = CHECK_SCOPES


class MonitorViewSet(viewsets.ModelViewSet):
    queryset = Monitor.objects.order_by("pk")
    serializer_class = MonitorSerializer
    required_scopes = CHECK_SCOPES
