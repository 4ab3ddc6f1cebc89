"""Check-ins (a job pings us), HTTP uptime monitors (we call an endpoint), and their state flips."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from checks import schedule

PING_BODY_LIMIT = 10 * 1024
MAX_RUN_TIME = timedelta(hours=24)  # a /start older than this is not the start of the run that just ended


class Status(models.TextChoices):
    NEW = "new"
    UP = "up"
    GRACE = "grace"  # computed (late, within the grace time), never stored
    DOWN = "down"
    PAUSED = "paused"


def _unique_slug(model, name: str, pk=None) -> str:
    base = slugify(name)[:90] or "check"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exclude(pk=pk).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


class Check(models.Model):
    """A job that should ping us: every `period_seconds`, or on a cron schedule, within a grace time."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True, blank=True)
    tags = models.CharField(max_length=200, blank=True, help_text="Space-separated, e.g. 'backup prod'.")
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="The secret in the ping URL.")
    period_seconds = models.PositiveIntegerField(default=86400, help_text="Expected time between pings.")
    grace_seconds = models.PositiveIntegerField(default=3600, help_text="How late a ping may be before 'down'.")
    schedule = models.CharField(
        max_length=100, blank=True, help_text="A cron expression (replaces the period), e.g. '30 2 * * *'."
    )
    tz = models.CharField(max_length=64, default="UTC", help_text="Time zone the cron expression is read in.")
    failures_before_down = models.PositiveSmallIntegerField(
        default=1, help_text="Down after this many failed runs in a row."
    )
    failure_rate_percent = models.FloatField(
        null=True, blank=True, help_text="Also down when more than this % of the last runs failed; empty: off."
    )
    failure_rate_runs = models.PositiveSmallIntegerField(default=10, help_text="How many runs the rate is over.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.NEW)
    last_ping = models.DateTimeField(null=True, blank=True)
    last_start = models.DateTimeField(null=True, blank=True)
    last_duration = models.DurationField(null=True, blank=True, help_text="Run time of the last run, /start to end.")
    alert_after = models.DateTimeField(null=True, blank=True, help_text="Down if no ping arrives before this.")
    consecutive_failures = models.PositiveIntegerField(default=0)
    n_pings = models.PositiveIntegerField(default=0)
    # The ping rate limit's fixed one-minute window, counted by the ping's own UPDATE of this row:
    # no cache round trip per ping, and one count per check whichever web process took the ping.
    rate_minute = models.IntegerField(default=0, editable=False, help_text="Minute (since 1970) counted below.")
    rate_count = models.IntegerField(default=0, editable=False, help_text="Pings taken in that minute.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        # No index over alert_after (nor any column a ping changes): every ping's UPDATE moves
        # alert_after, and an index over it made each one write a new entry into all five indexes
        # of this table instead of a HOT update in place. The late-check sweep reads the whole
        # table once a minute instead (docs/performance/checks.md). Fillfactor 50 (migration 0003)
        # leaves room on each page for those in-place updates.

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = _unique_slug(Check, self.name, self.pk)
        super().save(*args, **kwargs)

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.schedule and (msg := schedule.cron_error(self.schedule)):
            errors["schedule"] = msg
        if msg := schedule.tz_error(self.tz):
            errors["tz"] = msg
        if self.failure_rate_percent is not None and not 0 <= self.failure_rate_percent < 100:
            errors["failure_rate_percent"] = "use a percentage from 0 to below 100"
        if errors:
            raise ValidationError(errors)

    def ping_url(self, kind: str = "") -> str:
        path = reverse("ping", args=[self.code]) + (f"/{kind}" if kind else "")
        return settings.SITE_URL.rstrip("/") + path

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()

    def next_due(self) -> datetime | None:
        """When the next ping is expected; None before the first one or while paused."""
        if self.last_ping is None or self.status in (Status.NEW, Status.PAUSED):
            return None
        return schedule.next_due(self, self.last_ping)

    def compute_alert_after(self) -> datetime | None:
        due = self.next_due()
        return due + timedelta(seconds=self.grace_seconds) if due else None

    def get_status(self, now: datetime | None = None) -> str:
        """The stored status, or 'grace' when an up check is past due but within its grace time."""
        if self.status != Status.UP:
            return self.status
        now = now or timezone.now()
        due = self.next_due()
        if self.alert_after and now >= self.alert_after:
            return Status.DOWN  # the sweep has not run yet
        return Status.GRACE if due and now >= due else Status.UP


class Monitor(models.Model):
    """An HTTP endpoint the worker calls every `interval_seconds` through the SSRF-guarded client."""

    class Method(models.TextChoices):
        GET = "GET"
        HEAD = "HEAD"
        POST = "POST"

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True, blank=True)
    url = models.CharField(max_length=500, help_text="https:// only (private networks are refused).")
    method = models.CharField(max_length=4, choices=Method.choices, default=Method.GET)
    expected_status = models.PositiveSmallIntegerField(default=200)
    body_contains = models.CharField(max_length=200, blank=True, help_text="Down if the body lacks this text.")
    interval_seconds = models.PositiveIntegerField(default=60)
    timeout_seconds = models.FloatField(default=10)
    tls_warn_days = models.PositiveSmallIntegerField(
        default=14, help_text="Report the certificate when it expires within this many days."
    )
    failures_before_down = models.PositiveSmallIntegerField(default=2, help_text="Down after N failures in a row.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.NEW)
    consecutive_failures = models.PositiveIntegerField(default=0)
    next_run_at = models.DateTimeField(null=True, blank=True, help_text="Empty: run at the next dispatch.")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_reason = models.CharField(max_length=300, blank=True)
    tls_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["status", "next_run_at"])]  # the monitor dispatch: due, not paused

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = _unique_slug(Monitor, self.name, self.pk)
        super().save(*args, **kwargs)

    def clean(self):
        from django.core.exceptions import ValidationError

        from checks.validation import monitor_errors

        errors = monitor_errors(self.url, self.interval_seconds, self.timeout_seconds)
        if errors:
            raise ValidationError(errors)

    def get_status(self, now: datetime | None = None) -> str:
        return self.status

    @property
    def tls_days_left(self) -> int | None:
        if self.tls_expires_at is None:
            return None
        return (self.tls_expires_at - timezone.now()).days


class Ping(models.Model):
    class Kind(models.TextChoices):
        SUCCESS = "success"
        START = "start"
        FAIL = "fail"

    # No index of its own: the (owner, -created_at) index below serves lookups by owner too.
    owner = models.ForeignKey(Check, on_delete=models.CASCADE, related_name="pings", db_index=False)
    n = models.PositiveIntegerField(help_text="The check's ping number.")
    created_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    exit_status = models.PositiveSmallIntegerField(null=True, blank=True)
    method = models.CharField(max_length=8)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True, help_text="The first 10 KB of the request body: the job's log.")
    body_truncated = models.BooleanField(default=False)
    duration = models.DurationField(null=True, blank=True, help_text="Run time, from the matching /start.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"]),  # a check's recent pings and its failure rate
            models.Index(fields=["created_at"]),  # the retention purge
        ]

    def __str__(self) -> str:
        return f"#{self.n} {self.kind} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class MonitorResult(models.Model):
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="results")
    checked_at = models.DateTimeField(default=timezone.now)
    up = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    tls_days_left = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [
            models.Index(fields=["monitor", "checked_at"]),  # uptime %, p95 and the status page bars
            models.Index(fields=["checked_at"]),  # the retention purge
        ]

    def __str__(self) -> str:
        return f"{'up' if self.up else 'down'} {self.status_code or ''} at {self.checked_at:%Y-%m-%d %H:%M:%S}"


class Flip(models.Model):
    """A change of status of a check or a monitor, with its reason (the outage history)."""

    # Named owner_*: a field called `check` would hide Model.check(), Django's system checks.
    # No FK indexes of their own: the (owner_*, created_at) indexes below serve them.
    owner_check = models.ForeignKey(
        Check, null=True, blank=True, on_delete=models.CASCADE, related_name="flips", db_index=False
    )
    owner_monitor = models.ForeignKey(
        Monitor, null=True, blank=True, on_delete=models.CASCADE, related_name="flips", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    old_status = models.CharField(max_length=8, choices=Status.choices)
    new_status = models.CharField(max_length=8, choices=Status.choices)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner_check__isnull=False, owner_monitor__isnull=True)
                | models.Q(owner_check__isnull=True, owner_monitor__isnull=False),
                name="checks_flip_of_one_thing",
            )
        ]
        indexes = [
            models.Index(fields=["owner_check", "created_at"]),  # uptime bars of a check
            models.Index(fields=["owner_monitor", "created_at"]),  # uptime bars of a monitor
            models.Index(fields=["created_at"]),  # incident timelines
        ]

    def __str__(self) -> str:
        return f"{self.old_status} -> {self.new_status}: {self.reason}"

    @property
    def subject(self) -> Check | Monitor:
        return self.owner_check or self.owner_monitor
