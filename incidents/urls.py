"""URLs of the incidents app: `api_urlpatterns` under /api/v1/, `urlpatterns` at the root."""

from django.urls import path, re_path

from incidents import api, status_page, views

api_urlpatterns: list = [path("events/", api.EventView.as_view(), name="events")]
urlpatterns: list = [
    path("incidents/<int:pk>/", views.timeline, name="incident-timeline"),
    re_path(r"^status-page/(?P<slug>[-a-zA-Z0-9_]+)\.json$", status_page.page_json, name="status-page-json"),
    path("status-page/<slug:slug>/", status_page.page_html, name="status-page"),
]
