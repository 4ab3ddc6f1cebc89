from django.apps import AppConfig


class ChecksConfig(AppConfig):
    name = "checks"
    verbose_name = "Check-ins and uptime monitors"

    def ready(self) -> None:
        from celery.signals import worker_ready

        worker_ready.connect(_worker_started, dispatch_uid="checks.worker_started", weak=False)


def _worker_started(**kwargs) -> None:
    from checks.recording import record_process_start

    record_process_start("worker")
