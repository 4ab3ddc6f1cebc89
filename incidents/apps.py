from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents and status pages"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from alerts.models import AlertTransition
        from incidents import signals

        post_save.connect(signals.on_transition, sender=AlertTransition, dispatch_uid="incidents.on_transition")
