"""Alert transitions open and feed incidents, after the evaluation's transaction commits."""

from django.db import transaction


def on_transition(sender, instance, created: bool, **kwargs) -> None:
    if not created or instance.reason not in ("fired", "escalated"):
        return
    alert_id, severity, at = instance.alert_id, instance.severity, instance.at
    # robust: a failure here is logged and never undoes or breaks the alert evaluation itself
    transaction.on_commit(lambda: _attach(alert_id, severity, at), robust=True)


def _attach(alert_id: int, severity: str, at) -> None:
    from incidents import services

    services.attach_alert(alert_id, severity, now=at)
