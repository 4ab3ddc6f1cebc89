from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "System metrics"

    def ready(self) -> None:
        from metrics import prometheus, signals
        from monitoring_site.prometheus import register

        signals.connect()
        register(prometheus.LatestValuesCollector())
