"""Alert transitions open and feed incidents, after the evaluation's transaction commits."""

from django.db import transaction


def on_transition(sender, instance, created: bool, **kwargs) -> None:
    if not created or instance.reason not in ("fired", "escalated"):
        return
    alert_id, severity = instance.alert_id, instance.severity
    transaction.on_commit(lambda: _attach(alert_id, severity))


def _attach(alert_id: int, severity: str) -> None:
    from incidents import services

    services.attach_alert(alert_id, severity)
