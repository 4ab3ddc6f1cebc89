from django.contrib import admin


class MonitoringAdminSite(admin.AdminSite):
    """The admin, branded; its index is the dashboard overview (dashboard app)."""

    site_header = "AI Monitoring"
    site_title = "AI Monitoring"
    index_title = "Dashboard"

    def get_urls(self):
        from dashboard.views import admin_urls  # the dashboard imports models: not at import time

        return admin_urls(self) + super().get_urls()

    def index(self, request, extra_context=None):
        from dashboard.views import page

        return page(self, request, "overview")
