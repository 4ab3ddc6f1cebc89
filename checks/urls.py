"""URLs of the checks app: `api_urlpatterns` under /api/v1/, `urlpatterns` (pings) at the root."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from checks import api, views

router = SimpleRouter()
router.register("checks", api.CheckViewSet, basename="check")
router.register("monitors", api.MonitorViewSet, basename="monitor")

api_urlpatterns: list = [*router.urls]
urlpatterns: list = [
    path("ping/<str:code>", views.success, name="ping"),
    path("ping/<str:code>/start", views.start, name="ping-start"),
    path("ping/<str:code>/fail", views.fail, name="ping-fail"),
    path("ping/<str:code>/<str:status>", views.exit_status, name="ping-exit"),
]
