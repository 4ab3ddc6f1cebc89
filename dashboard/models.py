from django.db import models
from django.utils import timezone


class Target(models.Model):
    """A service-level target on the overview ("Targets vs current"), editable by Admins."""

    class Key(models.TextChoices):
        AI_LATENCY_AVG = "ai_latency_avg_ms", "Average AI latency"
        AI_ERROR_RATE = "ai_error_rate", "AI error rate"
        AI_LATENCY_P95 = "ai_latency_p95_ms", "AI latency p95"
        DASHBOARD_LOAD = "dashboard_load_ms", "Dashboard load (p95 server render)"
        UPTIME = "uptime_percent", "Uptime"
        MTTR = "mttr_minutes", "MTTR, incidents"
        MTTA = "mtta_minutes", "MTTA, incidents"

    class Comparison(models.TextChoices):
        BELOW = "lt", "below"
        AT_LEAST = "gte", "at least"

    key = models.CharField(max_length=40, choices=Key.choices, unique=True)
    comparison = models.CharField(max_length=3, choices=Comparison.choices)
    threshold = models.FloatField(help_text="In the unit shown next to it.")
    unit = models.CharField(max_length=8, help_text="ms, % or min.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return f"{self.get_key_display()} {self.symbol} {self.threshold:g} {self.unit}"

    @property
    def symbol(self) -> str:
        return "<" if self.comparison == self.Comparison.BELOW else ">="

    def passes(self, value: float | None) -> bool | None:
        """True/False against the threshold; None when there is nothing to judge yet."""
        if value is None:
            return None
        if self.comparison == self.Comparison.BELOW:
            return value < self.threshold
        return value >= self.threshold


class RenderTiming(models.Model):
    """Server render time of one dashboard page: the "dashboard load" target reads these."""

    page = models.CharField(max_length=20)
    duration_ms = models.FloatField()
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)  # p95 over a time range

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.page} {self.duration_ms:.0f} ms"
