from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "User feedback"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from feedback.cors import allow_site_origins
        from feedback.metrics import FeedbackCollector
        from monitoring_site.prometheus import register

        check_request_enabled.connect(allow_site_origins, dispatch_uid="feedback.cors")
        register(FeedbackCollector())
