from rest_framework import serializers

from alerts.models import RULE_CHECKED_FIELDS, Alert, AlertRule, NotificationChannel
from alerts.validation import rule_errors
from monitoring_site.lib import outbound


def validate_target(kind: str, target: str) -> str:
    """Clear errors for a channel target; URLs pass the SSRF guard here and again at connect."""
    target = (target or "").strip()
    if not target:
        raise serializers.ValidationError("This field may not be blank.")
    if kind == NotificationChannel.Kind.EMAIL:
        return _validate_emails(target)
    if kind == NotificationChannel.Kind.PAGERDUTY:
        if not target.isalnum() or len(target) != 32:
            raise serializers.ValidationError(
                "A PagerDuty routing key is 32 letters and digits (Events API v2 integration key)."
            )
        return target
    try:
        outbound.check_url(target)
    except outbound.BlockedURL as exc:
        raise serializers.ValidationError(f"This URL is not allowed: {exc}.") from None
    return target


def _validate_emails(target: str) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    addresses = [a.strip() for a in target.split(",") if a.strip()]
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise serializers.ValidationError(f"{address!r} is not a valid email address.") from None
    return ", ".join(addresses)


class NotificationChannelSerializer(serializers.ModelSerializer):
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = NotificationChannel
        fields = [
            "id",
            "name",
            "kind",
            "target",
            "secret",
            "has_secret",
            "min_severity",
            "enabled",
            "consecutive_failures",
            "paused_until",
            "disabled_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["consecutive_failures", "paused_until", "disabled_at", "created_at", "updated_at"]

    def get_has_secret(self, obj) -> bool:
        return bool(obj.secret)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["target"] = instance.masked_target  # webhook URLs and routing keys are secrets
        return data

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        target = attrs.get("target")
        if self.instance is not None and (target is None or target == self.instance.masked_target):
            attrs.pop("target", None)  # the masked value sent back unchanged keeps the stored one
            if kind != self.instance.kind:
                attrs["target"] = validate_target(kind, self.instance.target)
        else:
            try:
                attrs["target"] = validate_target(kind, target)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"target": exc.detail}) from None
        if attrs.get("secret") and kind != NotificationChannel.Kind.WEBHOOK:
            raise serializers.ValidationError({"secret": "Only webhook channels are signed."})
        if kind == NotificationChannel.Kind.PAGERDUTY and "min_severity" not in attrs and self.instance is None:
            attrs["min_severity"] = "critical"  # SPEC routing: only critical alerts page
        return attrs


class AlertRuleSerializer(serializers.ModelSerializer):
    channels = serializers.PrimaryKeyRelatedField(many=True, queryset=NotificationChannel.objects.all(), required=False)

    class Meta:
        model = AlertRule
        fields = [
            "id",
            "name",
            "kind",
            "metric",
            "aggregation",
            "filters",
            "group_by",
            "window_minutes",
            "budget_period",
            "budget_usd",
            "comparator",
            "warning_threshold",
            "critical_threshold",
            "resolve_threshold",
            "for_minutes",
            "keep_firing_minutes",
            "repeat_interval_minutes",
            "min_samples",
            "channels",
            "enabled",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_window_minutes(self, value: int) -> int:
        if not 1 <= value <= 7 * 24 * 60:
            raise serializers.ValidationError("Between 1 minute and 7 days.")
        return value

    def validate(self, attrs):
        def get(name):
            return attrs.get(name, getattr(self.instance, name, None))

        values = {name: get(name) for name in RULE_CHECKED_FIELDS}
        if values["comparator"] is None:
            values["comparator"] = AlertRule._meta.get_field("comparator").default
        errors = rule_errors(values)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class AlertSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    acknowledged_by = serializers.CharField(
        source="acknowledger", read_only=True, allow_null=True, help_text="A username, or key:NAME for an API key."
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "rule_name",
            "group_key",
            "severity",
            "state",
            "value",
            "threshold",
            "message",
            "started_at",
            "fired_at",
            "resolved_at",
            "acknowledged_by",
            "acknowledged_at",
        ]
        read_only_fields = fields
