from django.apps import AppConfig


class AilogsConfig(AppConfig):
    name = "ailogs"
    verbose_name = "AI operations log"

    def ready(self) -> None:
        from ailogs.metrics import AiLogsCollector
        from monitoring_site.prometheus import register

        register(AiLogsCollector())
