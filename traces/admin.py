from functools import partial

from django.contrib import admin
from django.urls import path
from django.utils.html import format_html

from monitoring_site.admin import ReadOnlyAdmin
from traces import views
from traces.models import Span


@admin.register(Span)
class SpanAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Spans as received (read-only, Admin role), and the trace and session pages built on them."""

    list_display = ["start_time", "name", "service_name", "trace_link", "duration_ms", "status_code", "session_id"]
    list_filter = ["status_code", "is_genai", "kind"]
    search_fields = ["=trace_id", "=span_id", "=session_id"]
    search_help_text = "Exact trace, span or session id."
    show_full_result_count = False  # count(*) over a partitioned table on every page view is slow
    list_per_page = 100
    ordering = ["-start_time"]

    def has_delete_permission(self, request, obj=None):
        return False  # retention drops whole days

    @admin.display(description="Trace")
    def trace_link(self, span: Span) -> str:
        return format_html('<a href="{}">{}</a>', views.trace_url(span.trace_id), span.trace_id)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("trace/<str:trace_id>/", view(partial(views.trace_page, self)), name="traces_trace"),
            path("sessions/", view(partial(views.sessions_page, self)), name="traces_sessions"),
            path("sessions/<path:session_id>/", view(partial(views.session_page, self)), name="traces_session"),
            *super().get_urls(),
        ]
