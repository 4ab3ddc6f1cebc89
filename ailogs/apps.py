from django.apps import AppConfig


class AilogsConfig(AppConfig):
    name = "ailogs"
    verbose_name = "AI operations log"
