"""Admin: rules (with a 7-day preview), channels (masked targets, test sends), alerts, silences,
and the delivery log. Moderators may view and acknowledge alerts, nothing else."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from rest_framework import serializers as drf

from alerts import notify, preview, services
from alerts.models import Alert, AlertRule, AlertTransition, NotificationChannel, NotificationDelivery, Silence
from alerts.serializers import validate_target
from monitoring_site.admin import AdminRoleOnly, ReadOnlyAdmin, rounded, short_number
from monitoring_site.roles import is_admin


class ChannelForm(forms.ModelForm):
    """The target is a secret: never rendered back; left empty on change it keeps its value."""

    target = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "size": 80}),
        help_text="Email addresses (comma-separated), webhook URL, or PagerDuty routing key. Leave empty to keep the current one.",
    )
    secret = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), help_text="Webhook only. Leave empty to keep."
    )

    class Meta:
        model = NotificationChannel
        fields = ["name", "kind", "target", "secret", "min_severity", "enabled"]

    def clean(self):
        data = super().clean()
        target = data.get("target") or (self.instance.target if self.instance.pk else "")
        try:
            data["target"] = validate_target(data.get("kind"), target)
        except drf.ValidationError as exc:
            self.add_error("target", " ".join(str(e) for e in exc.detail))
        if not data.get("secret") and self.instance.pk:
            data["secret"] = self.instance.secret
        return data


@admin.register(NotificationChannel)
class NotificationChannelAdmin(AdminRoleOnly, admin.ModelAdmin):
    form = ChannelForm
    list_display = ["name", "kind", "masked_target", "min_severity", "enabled", "breaker"]
    list_filter = ["kind", "enabled", "min_severity"]
    readonly_fields = ["masked_target", "consecutive_failures", "paused_until", "disabled_at"]
    actions = ["send_test_notification", "reset_breaker"]

    def get_fields(self, request, obj=None):
        fields = ["name", "kind", "target", "secret", "min_severity", "enabled"]
        return (
            fields if obj is None else ["masked_target", *fields, "consecutive_failures", "paused_until", "disabled_at"]
        )

    @admin.display(description="Target")
    def masked_target(self, obj):
        return obj.masked_target

    @admin.display(description="Breaker")
    def breaker(self, obj):
        if obj.disabled_at:
            return f"disabled after {obj.consecutive_failures} failures"
        if obj.is_paused():
            return f"paused until {obj.paused_until:%Y-%m-%d %H:%M}"
        return f"closed ({obj.consecutive_failures} failures)" if obj.consecutive_failures else "closed"

    @admin.action(description="Send test notification")
    def send_test_notification(self, request, queryset):
        for channel in queryset:
            notify.send_test(channel)
        self.message_user(
            request, f"Queued a test notification to {queryset.count()} channel(s); see the delivery log."
        )

    @admin.action(description="Re-enable and reset the circuit breaker")
    def reset_breaker(self, request, queryset):
        count = queryset.update(consecutive_failures=0, paused_until=None, disabled_at=None, enabled=True)
        self.message_user(request, f"Reset {count} channel(s).")


@admin.register(AlertRule)
class AlertRuleAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = [
        "name",
        "metric",
        "comparator",
        "warning_threshold",
        "critical_threshold",
        "window_minutes",
        "for_minutes",
        "enabled",
        "preview_column",
    ]
    list_filter = ["enabled", "kind", "metric"]
    search_fields = ["name", "metric"]
    filter_horizontal = ["channels"]
    readonly_fields = ["default_key", "last_evaluated_at", "preview_link"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "enabled",
                    "kind",
                    "metric",
                    "aggregation",
                    "filters",
                    "group_by",
                    "window_minutes",
                    "min_samples",
                ]
            },
        ),
        ("Budget", {"fields": ["budget_period", "budget_usd"], "description": "Budget rules only (kind: budget)."}),
        (
            "Thresholds",
            {
                "fields": [
                    "comparator",
                    "warning_threshold",
                    "critical_threshold",
                    "resolve_threshold",
                    "for_minutes",
                    "keep_firing_minutes",
                ]
            },
        ),
        ("Notifications", {"fields": ["repeat_interval_minutes", "channels"]}),
        ("Status", {"fields": ["default_key", "last_evaluated_at", "preview_link"]}),
    ]

    def get_urls(self):
        view = self.admin_site.admin_view(self.preview_view)
        return [path("<int:pk>/preview/", view, name="alerts_alertrule_preview"), *super().get_urls()]

    @admin.display(description="Preview")
    def preview_link(self, obj):
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}">what would this rule have done over the last 7 days?</a>',
            reverse("admin:alerts_alertrule_preview", args=[obj.pk]),
        )

    @admin.display(description="Preview")
    def preview_column(self, obj):
        # The form's sentence wrapped into a 140 px tall row in the list: a word is enough there.
        return format_html('<a href="{}">last 7 days</a>', reverse("admin:alerts_alertrule_preview", args=[obj.pk]))

    def preview_view(self, request, pk: int):
        rule = get_object_or_404(AlertRule, pk=pk)
        if not self.has_view_permission(request, rule):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "rule": rule,
            "opts": self.model._meta,
            "result": preview.replay(rule),
            "title": f"Preview: {rule.name}",
        }
        return TemplateResponse(request, "admin/alerts/preview.html", context)

    def save_model(self, request, obj, form, change):
        from monitoring_site.models import AuditEvent

        super().save_model(request, obj, form, change)
        AuditEvent.objects.create(
            kind=AuditEvent.Kind.CONFIG_CHANGED,
            actor=request.user,
            actor_label=request.user.get_username(),
            detail={"alert_rule": obj.name},
        )


class TransitionInline(admin.TabularInline):
    model = AlertTransition
    fields = ["at", "from_state", "to_state", "reason", "severity", "value", "threshold", "silenced"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-at"]


def describe_rule(rule: AlertRule) -> str:
    """The rule's condition in one line, e.g. "ai_error_rate over 60 min: warning > 1, critical > 5"."""
    comparator = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}.get(rule.comparator, rule.comparator)
    thresholds = ", ".join(
        f"{label} {comparator} {value:g}"
        for label, value in (("warning", rule.warning_threshold), ("critical", rule.critical_threshold))
        if value is not None
    )
    what = rule.metric + (f" ({rule.aggregation})" if rule.aggregation else "")
    text = f"{what} over {rule.window_minutes} min: {thresholds or 'no threshold'}"
    return text + (f", for {rule.for_minutes} min" if rule.for_minutes else "")


class AlertAccess:
    """Admins, and Moderators by their permissions (view, acknowledge); nobody edits by hand."""

    def has_module_permission(self, request):
        return is_admin(request.user) or request.user.has_perm("alerts.view_alert")

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user) or request.user.has_perm(f"alerts.view_{self.model._meta.model_name}")

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user)


@admin.register(Alert)
class AlertAdmin(AlertAccess, admin.ModelAdmin):
    list_display = [
        "started_at",
        "rule",
        "group_key",
        "severity",
        "state",
        "value_of_threshold",
        "resolved_at",
        "acknowledger",
    ]  # fired at (within the rule's "for" minutes of the start) is on the detail page
    list_filter = ["state", "severity", "rule", ("acknowledged_at", admin.EmptyFieldListFilter), "started_at"]
    list_select_related = ["rule", "acknowledged_by"]
    search_fields = ["rule__name", "group_key", "message"]
    date_hierarchy = "started_at"
    inlines = [TransitionInline]

    def get_readonly_fields(self, request, obj=None):
        # Django links a read-only foreign key to its change page whatever the viewer may open: a
        # Moderator's click on "Rule" ended in a 403. The rule's condition is shown read-only to
        # everyone, linked only for those who may open the rule.
        rule_admin = self.admin_site._registry.get(AlertRule)
        rule = "rule_link" if rule_admin and rule_admin.has_view_permission(request) else "rule_text"
        return [rule if f.name == "rule" else f.name for f in Alert._meta.fields]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description="Rule")
    def rule_text(self, obj: Alert):
        return format_html('{}<br><span class="quiet">{}</span>', obj.rule.name, describe_rule(obj.rule))

    @admin.display(description="Rule")
    def rule_link(self, obj: Alert):
        url = reverse("admin:alerts_alertrule_change", args=[obj.rule_id])
        return format_html(
            '<a href="{}">{}</a><br><span class="quiet">{}</span>', url, obj.rule.name, describe_rule(obj.rule)
        )

    actions = ["acknowledge"]

    @admin.display(description="value / threshold", ordering="value")
    def value_of_threshold(self, obj: Alert) -> str:
        # One column, not two: with the group key the list no longer fit 1440 px.
        return f"{short_number(obj.value)} / {short_number(obj.threshold)}"

    def has_acknowledge_permission(self, request):
        return is_admin(request.user) or request.user.has_perm("alerts.acknowledge_alert")

    @admin.action(description="Acknowledge (stop repeat notifications)", permissions=["acknowledge"])
    def acknowledge(self, request, queryset):
        done = sum(services.acknowledge(alert, request.user) for alert in queryset)
        self.message_user(request, f"Acknowledged {done} alert(s).")


@admin.register(AlertTransition)
class AlertTransitionAdmin(AlertAccess, admin.ModelAdmin):
    list_display = [
        "at",
        "alert",
        "from_state",
        "to_state",
        "reason",
        "severity",
        rounded("value"),
        rounded("threshold"),
        "silenced",
    ]
    list_filter = ["reason", "severity", "silenced"]
    list_select_related = ["alert__rule"]
    date_hierarchy = "at"


@admin.register(Silence)
class SilenceAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = ["comment", "rule", "severity", "tags", "starts_at", "ends_at", "created_by"]
    list_filter = ["severity", "rule"]
    readonly_fields = ["created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "channel",
        "event",
        "status",
        "attempts",
        "status_code",
        "short_error",
        "alert",
    ]  # the duration and the whole error are on the detail page: the list fits 1440 px
    list_filter = ["status", "event", "channel__kind", "channel"]
    list_select_related = ["channel", "alert__rule"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "channel",
        "alert",
        "transition",
        "event",
        "status",
        "attempts",
        "status_code",
        "error",
        "duration_ms",
        "created_at",
        "sent_at",
    ]
    exclude = ["claimed_until", "next_attempt_at"]

    @admin.display(description="Error")
    def short_error(self, obj):
        return Truncator(obj.error).chars(40)
