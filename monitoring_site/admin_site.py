from django.contrib import admin
from django.core.exceptions import PermissionDenied


class MonitoringAdminSite(admin.AdminSite):
    """The admin, branded; its index is the dashboard overview (dashboard app)."""

    site_header = "AI Monitoring"
    site_title = "AI Monitoring"
    index_title = "Dashboard"
    # The app list sits on the overview and in the breadcrumbs; as a sidebar it took a fifth of a
    # 1440 px screen from every changelist, whose columns then scrolled sideways.
    enable_nav_sidebar = False

    def get_urls(self):
        from dashboard.views import admin_urls  # the dashboard imports models: not at import time

        return admin_urls(self) + super().get_urls()

    def index(self, request, extra_context=None):
        from dashboard.views import page

        return page(self, request, "overview")

    def app_index(self, request, app_label, extra_context=None):
        """403, not Django's 404, for an app that exists but none of whose pages the user may see:
        a Moderator opening /admin/ailogs/ is refused, not told it does not exist."""
        registered = {model._meta.app_label for model in self._registry}
        if app_label in registered and not self.get_app_list(request, app_label):
            raise PermissionDenied
        return super().app_index(request, app_label, extra_context)
