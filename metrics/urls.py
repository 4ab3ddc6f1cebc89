"""URLs of the metrics app: `api_urlpatterns` are mounted under /api/v1/, `urlpatterns` at the site root."""

from django.urls import path

from metrics import api

api_urlpatterns: list = [
    path("metrics/", api.MetricIngestView.as_view(), name="metrics-ingest"),
    path("metrics/summary/", api.MetricSummaryView.as_view(), name="metrics-summary"),
]
urlpatterns: list = []
