from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class MonitoringAdminConfig(admin_apps.AdminConfig):
    """The Django admin, with our AdminSite (dashboard index) as the default `admin.site`."""

    default = False
    default_site = "monitoring_site.admin_site.MonitoringAdminSite"


class MonitoringSiteConfig(AppConfig):
    default = True
    name = "monitoring_site"
    verbose_name = "Platform"

    def ready(self) -> None:
        from monitoring_site import schema, signals  # noqa: F401
