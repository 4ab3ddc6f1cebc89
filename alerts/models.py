"""Alert rules, their alerts and transitions, notification channels, silences and the delivery log."""

from datetime import UTC, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class Severity(models.TextChoices):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class Comparator(models.TextChoices):
    GT = "gt", ">"
    GTE = "gte", ">="
    LT = "lt", "<"
    LTE = "lte", "<="


def compare(comparator: str, value: float, threshold: float) -> bool:
    return {
        "gt": value > threshold,
        "gte": value >= threshold,
        "lt": value < threshold,
        "lte": value <= threshold,
    }[comparator]


def mask_secret_url(target: str) -> str:
    """Show scheme and host of a URL and hide the rest (webhook URLs carry their credentials)."""
    if "://" not in target:
        return target[:4] + "…" if len(target) > 8 else "…"
    scheme, rest = target.split("://", 1)
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/…"


class NotificationChannel(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email"
        SLACK = "slack"
        DISCORD = "discord"
        PAGERDUTY = "pagerduty"
        WEBHOOK = "webhook"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    target = models.CharField(
        max_length=500, help_text="Email addresses (comma-separated), webhook URL, or PagerDuty routing key."
    )
    secret = models.CharField(max_length=200, blank=True, help_text="Webhook only: HMAC-SHA256 signing secret.")
    min_severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    enabled = models.BooleanField(default=True)
    # Circuit breaker: GitLab's auto-disabling webhooks (pause after 4, disable after 40 failures).
    consecutive_failures = models.PositiveIntegerField(default=0)
    paused_until = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(
        null=True, blank=True, help_text="Set by the breaker after 40 failures; clear it to re-enable."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def masked_target(self) -> str:
        if self.kind == self.Kind.EMAIL:
            return self.target
        return mask_secret_url(self.target)

    def accepts(self, severity: str) -> bool:
        """Routing: info is recorded only; otherwise the alert must reach the channel's minimum."""
        if severity == Severity.INFO:
            return False
        return SEVERITY_RANK[severity] >= SEVERITY_RANK[self.min_severity]

    def is_paused(self, now=None) -> bool:
        return bool(self.paused_until and self.paused_until > (now or timezone.now()))


GROUP_BY_KEYS = ("tenant", "model", "function", "user_id", "api_key")
MAX_GROUPS = 50  # open alerts per grouped rule; more breaching groups are an overflow, reported once
OVERFLOW_GROUP = "(more groups)"  # the group key of the alert that reports an overflow


class AlertRule(models.Model):
    class Kind(models.TextChoices):
        THRESHOLD = "threshold"
        BUDGET = "budget", "budget (% of a daily or monthly spend)"

    class BudgetPeriod(models.TextChoices):
        DAY = "day"
        MONTH = "month"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
        default=Kind.THRESHOLD,
        help_text="budget: ai_cost_usd since the start of the UTC day or month, as a % of budget_usd.",
    )
    metric = models.CharField(
        max_length=200, help_text="A catalog key (such as ai_error_rate) or metric:NAME for an ingested metric."
    )
    aggregation = models.CharField(
        max_length=10, blank=True, help_text="For metric:NAME rules: avg, sum, min, max, count, p50, p95, p99 or last."
    )
    filters = models.JSONField(
        default=dict, blank=True, help_text='e.g. {"model": "gpt-4o", "tags": {"queue": "celery"}}'
    )
    group_by = models.JSONField(
        default=list,
        blank=True,
        help_text='AI rules: fire and resolve per value of these, e.g. ["tenant"]; any of '
        + ", ".join(GROUP_BY_KEYS)
        + f" (at most {MAX_GROUPS} open alerts per rule).",
    )
    budget_period = models.CharField(max_length=5, choices=BudgetPeriod.choices, blank=True)
    budget_usd = models.FloatField(
        "budget (USD)", null=True, blank=True, help_text="Budget rules: the spend per period."
    )
    window_minutes = models.PositiveIntegerField(default=5)
    comparator = models.CharField(max_length=3, choices=Comparator.choices, default=Comparator.GT)
    warning_threshold = models.FloatField(null=True, blank=True)
    critical_threshold = models.FloatField(null=True, blank=True)
    resolve_threshold = models.FloatField(
        null=True,
        blank=True,
        help_text="Resolve only once the value passes this (hysteresis); empty: below the warning threshold.",
    )
    for_minutes = models.PositiveIntegerField(default=0, help_text="How long the condition must hold before firing.")
    keep_firing_minutes = models.PositiveIntegerField(
        default=0, help_text="How long the condition must stay clear before resolving."
    )
    repeat_interval_minutes = models.PositiveIntegerField(
        default=240, help_text="Re-notify while firing and unacknowledged; 0 never."
    )
    min_samples = models.PositiveIntegerField(
        default=1, help_text="Fewer samples in the window than this never breach."
    )
    channels = models.ManyToManyField(
        NotificationChannel,
        blank=True,
        related_name="rules",
        help_text="Empty: every enabled channel, by its minimum severity.",
    )
    enabled = models.BooleanField(default=True)
    default_key = models.CharField(max_length=60, blank=True, help_text="Set on rules installed by setup_defaults.")
    default_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    last_evaluated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def period_start(self, now):
        """Budget rules: the start of the UTC day or month `now` is in."""
        moment = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return moment.replace(day=1) if self.budget_period == self.BudgetPeriod.MONTH else moment

    def since(self, now):
        """Where this rule's window starts when evaluated at `now`."""
        if self.kind == self.Kind.BUDGET:
            return self.period_start(now)
        return now - timedelta(minutes=self.window_minutes)

    def clean(self):
        """The API's rule checks, so an admin form cannot save what the API refuses."""
        from django.core.exceptions import ValidationError

        from alerts.validation import rule_errors

        values = {field: getattr(self, field) for field in RULE_CHECKED_FIELDS}
        errors = rule_errors(values)
        if errors:
            raise ValidationError(errors)

    def severity_for(self, value: float | None) -> str | None:
        """The severity a value breaches, critical first, or None."""
        if value is None:
            return None
        for severity, threshold in (
            (Severity.CRITICAL, self.critical_threshold),
            (Severity.WARNING, self.warning_threshold),
        ):
            if threshold is not None and compare(self.comparator, value, threshold):
                return severity
        return None

    def threshold_for(self, severity: str | None) -> float | None:
        if severity == Severity.CRITICAL:
            return self.critical_threshold
        if severity == Severity.WARNING:
            return self.warning_threshold
        return None

    def is_clear(self, value: float | None) -> bool:
        """True when a firing alert may resolve: no breach, and past the resolve threshold if one is set."""
        if self.severity_for(value) is not None:
            return False
        if value is None or self.resolve_threshold is None:
            return True
        return not compare(self.comparator, value, self.resolve_threshold)

    def labels(self) -> dict[str, str]:
        """Flattened filters (tags included), matched by silences."""
        labels = {k: str(v) for k, v in self.filters.items() if k != "tags"}
        labels.update({k: str(v) for k, v in (self.filters.get("tags") or {}).items()})
        return labels


RULE_CHECKED_FIELDS = (
    "kind",
    "metric",
    "aggregation",
    "filters",
    "group_by",
    "budget_period",
    "budget_usd",
    "comparator",
    "warning_threshold",
    "critical_threshold",
    "resolve_threshold",
)


class AlertQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state__in=[Alert.State.PENDING, Alert.State.FIRING])


class Alert(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        FIRING = "firing"
        RESOLVED = "resolved"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    group_key = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="Which group of a per-group rule this alert is about (a check, a tenant...); empty for the rule as a whole.",
    )
    severity = models.CharField(max_length=10, choices=Severity.choices)
    state = models.CharField(max_length=10, choices=State.choices)
    value = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now, help_text="When the condition was first met.")
    fired_at = models.DateTimeField(null=True, blank=True, help_text="Empty when the alert never left pending.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    clear_since = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="keep_firing_minutes bookkeeping."
    )
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    acknowledged_by_label = models.CharField(
        max_length=160, blank=True, help_text="Who acknowledged: a username, or key:NAME for an API key."
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        permissions = [("acknowledge_alert", "Can acknowledge alerts")]
        constraints = [
            # At most one open alert per rule and group, so two evaluations cannot both open one.
            models.UniqueConstraint(
                fields=["rule", "group_key"],
                condition=models.Q(state__in=["pending", "firing"]),
                name="alerts_one_open_per_rule_group",
            ),
        ]
        indexes = [
            # firing-now (dashboard, Prometheus) and the retention purge of resolved alerts
            models.Index(fields=["state", "severity"]),
            models.Index(fields=["state", "resolved_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.rule} [{self.severity} {self.state}]"

    @property
    def acknowledger(self) -> str | None:
        """The person (username) or service (key:<name>) who acknowledged, or None."""
        if self.acknowledged_by_label:
            return self.acknowledged_by_label
        return self.acknowledged_by.get_username() if self.acknowledged_by_id else None

    def as_payload(self) -> dict:
        """The alert fields of SPEC section 3, with rule_name."""
        return {
            "id": self.pk,
            "rule": self.rule_id,
            "rule_name": self.rule.name,
            "group": self.group_key,
            "severity": self.severity,
            "state": self.state,
            "value": self.value,
            "threshold": self.threshold,
            "message": self.message,
            "started_at": _iso(self.started_at),
            "resolved_at": _iso(self.resolved_at),
            "acknowledged_by": self.acknowledger,
            "acknowledged_at": _iso(self.acknowledged_at),
        }


def _iso(value):
    return value.isoformat() if value else None


class AlertTransition(models.Model):
    class Reason(models.TextChoices):
        PENDING = "pending"
        FIRED = "fired"
        ESCALATED = "escalated"
        DEESCALATED = "deescalated"
        REPEAT = "repeat"
        RESOLVED = "resolved"
        CANCELLED = "cancelled", "cancelled (cleared while pending)"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=10, help_text="ok, pending, firing")
    to_state = models.CharField(max_length=10, help_text="ok, pending, firing, resolved")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    value = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    silenced = models.BooleanField(default=False, help_text="Recorded but not sent: a silence matched.")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["at"])]  # transitions timeline on the dashboard

    def __str__(self) -> str:
        return f"{self.from_state} -> {self.to_state} ({self.severity}) at {self.at:%Y-%m-%d %H:%M}"

    @property
    def notifies(self) -> bool:
        return self.reason in (
            self.Reason.FIRED,
            self.Reason.ESCALATED,
            self.Reason.DEESCALATED,
            self.Reason.REPEAT,
            self.Reason.RESOLVED,
        )

    @property
    def event(self) -> str:
        return "resolved" if self.to_state == Alert.State.RESOLVED else "firing"


def group_labels(group_key: str) -> dict[str, str]:
    """ "tenant=acme, model=gpt-4o" (a group_by rule's group) -> labels a silence can match."""
    pairs = (part.split("=", 1) for part in group_key.split(", ") if "=" in part)
    return {key: value for key, value in pairs}


class SilenceQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(starts_at__lte=now, ends_at__gt=now)


class Silence(models.Model):
    """A maintenance window: matching transitions are recorded but not sent."""

    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.CASCADE, help_text="Empty: any rule.")
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True, help_text="Empty: any severity.")
    tags = models.JSONField(default=dict, blank=True, help_text="Every pair must match the rule's filters/tags.")
    comment = models.CharField(max_length=300, blank=True)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SilenceQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"silence {self.comment or self.pk} until {self.ends_at:%Y-%m-%d %H:%M}"

    def matches(self, rule: AlertRule, severity: str, group_key: str = "") -> bool:
        if self.rule_id and self.rule_id != rule.pk:
            return False
        if self.severity and self.severity != severity:
            return False
        labels = {**rule.labels(), **group_labels(group_key)}
        return all(labels.get(k) == str(v) for k, v in (self.tags or {}).items())


class NotificationDelivery(models.Model):
    """One notification to one channel; its uniqueness makes sending idempotent."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE, related_name="deliveries")
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    transition = models.ForeignKey(
        AlertTransition, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=10, help_text="firing, resolved or test")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False, help_text="A worker is sending it.")
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="A retry is scheduled for then."
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "notification deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "alert", "transition"], name="alerts_one_delivery_per_transition"
            ),
        ]
        indexes = [models.Index(fields=["channel", "status", "created_at"])]  # per-channel sent/failed on the dashboard

    def __str__(self) -> str:
        return f"{self.event} to {self.channel.name}: {self.status}"

    def claim(self, seconds: int = 30) -> bool:
        """Take the row for one send attempt (row-count check), so two workers never send it twice."""
        now = timezone.now()
        claimed = NotificationDelivery.objects.filter(pk=self.pk, status=self.Status.PENDING).filter(
            models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=now)
        )
        if not claimed.update(claimed_until=now + timedelta(seconds=seconds), attempts=models.F("attempts") + 1):
            return False
        self.refresh_from_db()
        return True
