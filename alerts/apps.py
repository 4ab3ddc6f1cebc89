from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from alerts.prometheus import AlertsCollector
        from monitoring_site.prometheus import register

        register(AlertsCollector())
