from django.contrib import admin


class MonitoringAdminSite(admin.AdminSite):
    """The admin, branded; its index becomes the dashboard (see the dashboard issue)."""

    site_header = "AI Monitoring"
    site_title = "AI Monitoring"
    index_title = "Dashboard"
