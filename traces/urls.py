"""URLs of the traces app: `api_urlpatterns` are mounted under /api/v1/."""

from django.urls import path

from traces import api

api_urlpatterns: list = [
    # OTEL_EXPORTER_OTLP_ENDPOINT=<site>/api/v1/otel: exporters append v1/traces (no trailing slash).
    path("otel/v1/traces", api.OtlpTracesView.as_view(), name="otel-traces"),
    path("traces/<str:trace_id>/", api.TraceView.as_view(), name="traces-detail"),
]
urlpatterns: list = []
