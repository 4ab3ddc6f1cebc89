import hashlib
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

KEY_PREFIX = "pk_"


def new_public_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(18)


def normalize_origin(value: str) -> str:
    """Return `scheme://host[:port]` as browsers send it in the Origin header, or raise ValueError."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an origin like https://shop.example")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{value!r} must be an origin only (no path, query or credentials)")
    default_port = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def parse_origins(text: str) -> list[str]:
    """Split a comma/whitespace separated list of origins and normalize each one."""
    items = [item for item in text.replace(",", " ").split() if item]
    return sorted({normalize_origin(item) for item in items})


class FeedbackSite(models.Model):
    """A website allowed to embed the widget: its public key is sent by the widget, by design not secret."""

    name = models.CharField(max_length=100, unique=True)
    allowed_origins = models.TextField(
        blank=True, help_text="One origin per line, e.g. https://shop.example (scheme, host and port only)."
    )
    public_key = models.CharField(max_length=40, unique=True, default=new_public_key, editable=False)
    is_active = models.BooleanField(default=True, help_text="Inactive sites get 403 from the feedback API.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def embed_tag(self) -> str:
        """The script tag a host page pastes, with this site's address and key filled in."""
        return (
            f'<script src="{settings.SITE_URL.rstrip("/")}/widget.js" data-site-key="{self.public_key}" async></script>'
        )

    def clean(self) -> None:
        try:
            self.allowed_origins = "\n".join(parse_origins(self.allowed_origins))
        except ValueError as exc:
            raise ValidationError({"allowed_origins": str(exc)}) from exc

    @property
    def origins(self) -> list[str]:
        return [line for line in self.allowed_origins.split() if line]

    def allows_origin(self, origin: str) -> bool:
        try:
            return normalize_origin(origin) in self.origins
        except ValueError:
            return False


class FeedbackQuerySet(models.QuerySet):
    def not_spam(self):
        return self.exclude(status=Feedback.Status.SPAM)

    def needing_attention(self):
        return self.filter(status=Feedback.Status.PENDING, priority=Feedback.Priority.HIGH)


class Feedback(models.Model):
    class Category(models.TextChoices):
        BUG = "bug", "Bug"
        FEATURE = "feature", "Feature request"
        QUESTION = "question", "Question"
        GENERAL = "general", "General"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        REVIEWED = "reviewed", "Reviewed"
        RESOLVED = "resolved", "Resolved"
        SPAM = "spam", "Spam"

    class SpamReason(models.TextChoices):
        HONEYPOT = "honeypot", "Honeypot field filled"
        TOO_FAST = "too_fast", "Submitted too fast after render"
        NO_TOKEN = "no_token", "Missing or invalid render token"
        LINKS = "links", "Too many links"
        DUPLICATE = "duplicate", "Exact duplicate within 10 minutes"
        MANUAL = "manual", "Marked by a moderator"

    message = models.TextField()
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.GENERAL)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    spam_reason = models.CharField(max_length=16, choices=SpamReason.choices, blank=True)
    site = models.ForeignKey(
        FeedbackSite,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Empty: sent from this monitoring site.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_sent",
        help_text="Submitting user, when signed in to this site.",
    )
    external_user_id = models.CharField(
        "host user id", max_length=128, blank=True, help_text="The host site's user id (data-user-id)."
    )
    email = models.EmailField(max_length=254, blank=True)
    page_url = models.URLField(max_length=2000, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    viewport = models.CharField(max_length=16, blank=True, help_text="Width x height in CSS pixels.")
    trace_id = models.CharField(max_length=255, blank=True, help_text="Links the feedback to an AI call.")
    metadata = models.JSONField(default=dict, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    message_hash = models.CharField(max_length=64, editable=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_assigned",
        limit_choices_to={"is_staff": True},
    )
    notes = models.TextField("internal notes", blank=True, help_text="Visible to staff only.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "feedback"
        ordering = ["-created_at"]
        indexes = [
            # high_priority_pending() and the "needs attention" filter.
            models.Index(fields=["status", "priority"], name="feedback_status_prio_idx"),
            # The exact-duplicate check at submission (same site, same text, last 10 minutes).
            models.Index(fields=["message_hash", "created_at"], name="feedback_dup_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()}: {self.message[:60]}"

    def save(self, *args, **kwargs):
        self.message_hash = hash_message(self.message)
        super().save(*args, **kwargs)

    @property
    def needs_attention(self) -> bool:
        return self.status == self.Status.PENDING and self.priority == self.Priority.HIGH


def hash_message(message: str) -> str:
    return hashlib.sha256(" ".join(message.split()).casefold().encode()).hexdigest()
