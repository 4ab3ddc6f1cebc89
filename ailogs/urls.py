"""URLs of the ailogs app: `api_urlpatterns` are mounted under /api/v1/, `urlpatterns` at the site root."""

from django.urls import path

from ailogs import api

api_urlpatterns: list = [
    path("ai-logs/", api.AiLogsView.as_view(), name="ailogs-list"),
    path("ai-logs/stats/", api.AiLogStatsView.as_view(), name="ailogs-stats"),
]
urlpatterns: list = []
