from django.utils import timezone
from rest_framework import serializers

from checks import schedule
from checks.models import Check, Monitor
from checks.validation import monitor_errors


class CheckSerializer(serializers.ModelSerializer):
    """SPEC section 10: either period_seconds + grace_seconds, or schedule (cron) + tz."""

    ping_url = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    next_due = serializers.SerializerMethodField()
    tags = serializers.CharField(required=False, allow_blank=True, max_length=200)
    period_seconds = serializers.IntegerField(required=False, min_value=60, max_value=365 * 86400)
    grace_seconds = serializers.IntegerField(required=False, min_value=60, max_value=365 * 86400)
    failures_before_down = serializers.IntegerField(required=False, min_value=1, max_value=100)
    failure_rate_percent = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=99.99)
    failure_rate_runs = serializers.IntegerField(required=False, min_value=2, max_value=1000)
    last_duration_seconds = serializers.SerializerMethodField()

    class Meta:
        model = Check
        fields = [
            "id",
            "name",
            "slug",
            "tags",
            "ping_url",
            "status",
            "last_ping",
            "next_due",
            "period_seconds",
            "grace_seconds",
            "schedule",
            "tz",
            "failures_before_down",
            "failure_rate_percent",
            "failure_rate_runs",
            "last_duration_seconds",
            "n_pings",
            "created_at",
        ]
        read_only_fields = ["slug", "last_ping", "n_pings", "created_at"]

    def get_ping_url(self, obj: Check) -> str:
        return obj.ping_url()

    def get_status(self, obj: Check) -> str:
        return obj.get_status(timezone.now())

    def get_next_due(self, obj: Check) -> str | None:
        due = obj.next_due()
        return due.isoformat() if due else None

    def get_last_duration_seconds(self, obj: Check) -> float | None:
        return obj.last_duration.total_seconds() if obj.last_duration else None

    def validate_tags(self, value: str) -> str:
        return " ".join(value.split())

    def validate_schedule(self, value: str) -> str:
        value = " ".join(value.split())
        if value and (msg := schedule.cron_error(value)):
            raise serializers.ValidationError(msg)
        return value

    def validate_tz(self, value: str) -> str:
        if msg := schedule.tz_error(value):
            raise serializers.ValidationError(msg)
        return value

    def validate(self, attrs):
        merged = {**self._current(), **attrs}
        if self.instance is None and not attrs.get("schedule") and "period_seconds" not in attrs:
            raise serializers.ValidationError(
                {"period_seconds": "Send period_seconds (+ grace_seconds), or schedule (cron) + tz."}
            )
        if attrs.get("schedule") and "period_seconds" in attrs:
            raise serializers.ValidationError({"schedule": "Send either schedule or period_seconds, not both."})
        if "tz" in attrs and not merged.get("schedule"):
            raise serializers.ValidationError({"tz": "tz only applies to a cron schedule."})
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        return {"schedule": self.instance.schedule}

    def update(self, instance, validated_data):
        if "period_seconds" in validated_data:
            validated_data.setdefault("schedule", "")  # a period replaces a cron schedule
        check = super().update(instance, validated_data)
        if check.last_ping:
            Check.objects.filter(pk=check.pk).update(alert_after=check.compute_alert_after())
        return check


class MonitorSerializer(serializers.ModelSerializer):
    tls_days_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = Monitor
        fields = [
            "id",
            "name",
            "slug",
            "url",
            "method",
            "expected_status",
            "body_contains",
            "interval_seconds",
            "timeout_seconds",
            "tls_warn_days",
            "failures_before_down",
            "status",
            "last_checked_at",
            "last_reason",
            "tls_days_left",
            "created_at",
        ]
        read_only_fields = ["slug", "status", "last_checked_at", "last_reason", "created_at"]
        extra_kwargs = {
            "expected_status": {"min_value": 100, "max_value": 599},
            "failures_before_down": {"min_value": 1, "max_value": 100},
        }

    def validate(self, attrs):
        merged = (
            {f: getattr(self.instance, f) for f in ("url", "interval_seconds", "timeout_seconds")}
            if self.instance
            else {}
        )
        merged.update(attrs)
        errors = monitor_errors(merged.get("url", ""), merged.get("interval_seconds"), merged.get("timeout_seconds"))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs
