"""Incidents (one story per outage), deploy and config events, and public status pages."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Incident(models.Model):
    class Severity(models.TextChoices):
        P0 = "P0", "P0 (critical, all hands)"
        P1 = "P1", "P1 (major)"
        P2 = "P2", "P2 (minor)"
        P3 = "P3", "P3 (low)"

    class Status(models.TextChoices):
        OPEN = "open"
        MITIGATED = "mitigated"
        RESOLVED = "resolved"

    title = models.CharField(max_length=200, help_text="Internal title; the status page shows the public title.")
    severity = models.CharField(max_length=2, choices=Severity.choices, default=Severity.P2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        limit_choices_to={"is_staff": True},
        related_name="owned_incidents",
    )
    public = models.BooleanField(default=False, help_text="Show on status pages (with its public updates only).")
    public_title = models.CharField(max_length=200, blank=True, help_text="The title status pages show.")
    opened_by_alert = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True, help_text="First acknowledgement (MTTA).")
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True, help_text="MTTR ends here.")
    # Post-mortem
    summary = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    alerts = models.ManyToManyField("alerts.Alert", through="IncidentAlert", related_name="incidents", blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"]),  # the open incident an alert attaches to
            models.Index(fields=["resolved_at"]),  # MTTR over a time range
        ]
        constraints = [
            # One outage, one story: at most one open incident opened by alerts, so two critical
            # alerts firing at the same moment (two workers) cannot open two; the second one's
            # insert waits for the first's commit, fails, and attaches (services.attach_alert).
            models.UniqueConstraint(
                fields=["opened_by_alert"],
                condition=models.Q(opened_by_alert=True) & ~models.Q(status="resolved"),
                name="incidents_one_open_opened_by_alert",
            )
        ]

    def __str__(self) -> str:
        return f"{self.severity} {self.title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("incident-timeline", args=[self.pk])

    def clean(self) -> None:
        self.validate_status(self.status)

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED

    @property
    def shown_title(self) -> str:
        return self.public_title or "Service disruption"

    def validate_status(self, status: str) -> None:
        """Refuse to reopen an incident opened by alerts while another such incident is open
        (the constraint above), with a message instead of the database's error."""
        if not self.opened_by_alert or status == self.Status.RESOLVED:
            return
        others = Incident.objects.filter(opened_by_alert=True).exclude(status=self.Status.RESOLVED)
        other = others.exclude(pk=self.pk).first()
        if other is not None:
            raise ValidationError(
                {
                    "status": f"Incident #{other.pk} ({other.title}), also opened by an alert, is open and new "
                    "alerts join it: resolve it first, or post there."
                }
            )

    def set_status(self, status: str, now=None) -> None:
        now = now or timezone.now()
        self.status = status
        if status == self.Status.MITIGATED and not self.mitigated_at:
            self.mitigated_at = now
        if status == self.Status.RESOLVED:
            self.resolved_at = self.resolved_at or now
        else:
            self.resolved_at = None


class IncidentAlert(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE)
    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE)
    attached_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert"], name="incidents_alert_in_one_incident")]

    def __str__(self) -> str:
        return f"alert {self.alert_id} in incident {self.incident_id}"


class IncidentUpdate(models.Model):
    """A comment or status change; public ones are shown on status pages, internal ones never."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    created_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    author_label = models.CharField(max_length=150, blank=True)
    body = models.TextField()
    public = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=Incident.Status.choices, blank=True, help_text="Set by this update."
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{'public' if self.public else 'internal'} update on {self.incident_id}"


class ActionItem(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="action_items")
    text = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, limit_choices_to={"is_staff": True}
    )
    done = models.BooleanField(default=False)

    class Meta:
        ordering = ["done", "id"]

    def __str__(self) -> str:
        return self.text


class Event(models.Model):
    """A deploy, config change or note posted by CI (POST /api/v1/events/), shown on timelines."""

    class Kind(models.TextChoices):
        DEPLOY = "deploy"
        CONFIG = "config"
        NOTE = "note"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=200)
    version = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=500, blank=True)
    tenant = models.CharField(max_length=100, blank=True)
    timestamp = models.DateTimeField(default=timezone.now)
    created_by_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["timestamp"])]  # timelines and chart markers over a time range

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"


class StatusPage(models.Model):
    slug = models.SlugField(max_length=60, unique=True, help_text="Public at /status-page/SLUG/ (this field).")
    title = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    show_incidents = models.BooleanField(default=True, help_text="List current public incidents.")

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("status-page", args=[self.slug])


class StatusPageComponent(models.Model):
    """One check or monitor on a page, under a public name (the internal one is never shown)."""

    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="components")
    public_name = models.CharField(max_length=100)
    check_item = models.ForeignKey(
        "checks.Check", null=True, blank=True, on_delete=models.CASCADE, verbose_name="check"
    )
    monitor = models.ForeignKey("checks.Monitor", null=True, blank=True, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(check_item__isnull=False, monitor__isnull=True)
                | models.Q(check_item__isnull=True, monitor__isnull=False),
                name="incidents_component_is_one_thing",
            )
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def subject(self):
        return self.check_item or self.monitor
