from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from monitoring_site.models import AuditEvent


@receiver(user_login_failed, dispatch_uid="monitoring_site.record_failed_login")
def record_failed_login(sender, credentials, request=None, **kwargs) -> None:
    """Store each failed login; the `failed_logins` alert counts them."""
    AuditEvent.objects.create(
        kind=AuditEvent.Kind.LOGIN_FAILED,
        actor_label=str(credentials.get("username", ""))[:150],
        ip_address=(request.META.get("REMOTE_ADDR") if request is not None else None) or None,
    )
