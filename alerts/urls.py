"""URLs of the alerts app: `api_urlpatterns` are mounted under /api/v1/, `urlpatterns` at the site root."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from alerts import api

router = SimpleRouter()
router.register("alert-rules", api.AlertRuleViewSet, basename="alert-rule")
router.register("notification-channels", api.NotificationChannelViewSet, basename="notification-channel")
router.register("alerts", api.AlertViewSet, basename="alert")

api_urlpatterns: list = [
    path("alerts/<int:pk>/ack/", api.AcknowledgeView.as_view(), name="alert-ack"),
    *router.urls,
]
urlpatterns: list = []
