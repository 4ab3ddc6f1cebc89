import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX = "msk_"
SCOPES = (
    "ailogs:write",
    "ailogs:read",
    "metrics:write",
    "metrics:read",
    "feedback:read",
    "alerts:read",
    "alerts:write",
    "traces:write",
    "checks:read",
    "checks:write",
    "events:write",
)


def hash_key(raw_key: str) -> str:
    """Return the SHA-256 hex digest of a key (fast on purpose: keys are 256-bit random)."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiKey(models.Model):
    """A per-service key. Only the SHA-256 of the full key is stored; the key is shown once."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="Public part of the key, shown in the admin.")
    hashed_key = models.CharField(max_length=64, unique=True)
    last_four = models.CharField(max_length=4)
    scopes = models.JSONField(default=list, help_text="List of scopes, e.g. ailogs:write.")
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests per minute; empty uses API_RATE_LIMIT_PER_MINUTE."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.display})"

    @property
    def display(self) -> str:
        return f"{KEY_PREFIX}{self.prefix}…{self.last_four}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    @classmethod
    def issue(cls, name: str, scopes: list[str], **fields) -> tuple["ApiKey", str]:
        """Create a key and return it with the raw key string, which is never stored."""
        prefix = secrets.token_hex(4)
        raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        key = cls.objects.create(
            name=name, prefix=prefix, hashed_key=hash_key(raw), last_four=raw[-4:], scopes=list(scopes), **fields
        )
        return key, raw

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def touch(self, now=None) -> None:
        """Record use, writing at most once a minute per key."""
        now = now or timezone.now()
        updated = ApiKey.objects.filter(pk=self.pk).filter(
            models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lt=now - timedelta(minutes=1))
        )
        updated.update(last_used_at=now)


class AuditEvent(models.Model):
    """Security- and operations-relevant events: logins failed, keys issued, exports, purges."""

    class Kind(models.TextChoices):
        LOGIN_FAILED = "login_failed"
        API_KEY_CREATED = "api_key_created"
        API_KEY_REVOKED = "api_key_revoked"
        EXPORT = "export"
        PURGE = "purge"
        CONFIG_CHANGED = "config_changed"
        RATE_LIMITED = "rate_limited"

    kind = models.CharField(max_length=40, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=150, blank=True, help_text="Username or key name as seen at the time.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # failed_logins / audit_events alert windows and the retention purge
            models.Index(fields=["kind", "created_at"]),
            models.Index(fields=["created_at"]),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor_label or '-'} at {self.created_at:%Y-%m-%d %H:%M}"


class Heartbeat(models.Model):
    """Last time a periodic job ran; /api/health reads `scheduler` as the dead man's switch."""

    name = models.CharField(max_length=100, primary_key=True)
    last_run = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_run:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, name: str) -> None:
        cls.objects.update_or_create(name=name, defaults={"last_run": timezone.now()})


class HealthSample(models.Model):
    """One health probe per minute by beat; uptime is the share of healthy samples."""

    checked_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=16)
    database_ok = models.BooleanField()
    cache_ok = models.BooleanField()
    broker_ok = models.BooleanField()

    class Meta:
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"{self.status} @ {self.checked_at:%Y-%m-%d %H:%M}"
