"""Admin: checks (ping URLs, pause/resume, recent pings and flips) and uptime monitors. Admins only."""

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from checks import services
from checks.models import Check, Flip, Monitor, MonitorResult, Ping, Status
from monitoring_site.admin import AdminRoleOnly, ReadOnlyAdmin

RECENT = 50  # inline rows: a check pinged every minute has 40k pings a month


class RecentInline(admin.TabularInline):
    extra = 0
    can_delete = False
    max_num = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        ids = super().get_queryset(request).values_list("pk", flat=True)
        parent = request.resolver_match.kwargs.get("object_id")
        fk = self.fk_name or "owner"
        recent = ids.filter(**{f"{fk}_id": parent})[:RECENT] if parent else ids.none()
        return super().get_queryset(request).filter(pk__in=list(recent))


class PingInline(RecentInline):
    model = Ping
    fk_name = "owner"
    fields = readonly_fields = ["n", "created_at", "kind", "exit_status", "method", "remote_addr", "duration", "body"]
    verbose_name_plural = f"Recent pings (last {RECENT})"


class CheckFlipInline(RecentInline):
    model = Flip
    fk_name = "owner_check"
    fields = readonly_fields = ["created_at", "old_status", "new_status", "reason"]
    verbose_name_plural = f"Status changes (last {RECENT})"


class MonitorFlipInline(CheckFlipInline):
    fk_name = "owner_monitor"


@admin.register(Check)
class CheckAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = ["name", "status_badge", "schedule_text", "last_ping", "next_due", "tags"]
    list_filter = ["status"]
    search_fields = ["name", "slug", "tags"]
    readonly_fields = ["ping_urls", "status", "last_ping", "last_duration", "consecutive_failures", "n_pings"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "tags", "ping_urls"]}),
        ("Schedule", {"fields": ["period_seconds", "grace_seconds", "schedule", "tz"]}),
        ("When it is down", {"fields": ["failures_before_down", "failure_rate_percent", "failure_rate_runs"]}),
        ("State", {"fields": ["status", "last_ping", "last_duration", "consecutive_failures", "n_pings"]}),
    ]
    inlines = [CheckFlipInline, PingInline]
    actions = ["pause", "resume"]

    @admin.display(description="Status")
    def status_badge(self, obj: Check) -> str:
        return obj.get_status(timezone.now())

    @admin.display(description="Schedule")
    def schedule_text(self, obj: Check) -> str:
        if obj.schedule:
            return f"{obj.schedule} ({obj.tz})"
        return f"every {obj.period_seconds}s, grace {obj.grace_seconds}s"

    @admin.display(description="Ping URLs")
    def ping_urls(self, obj: Check) -> str:
        if not obj.pk:
            return "shown once the check is saved"
        return format_html(
            "<code>{}</code><br><code>{}</code> <code>{}</code> <code>{}/&lt;exit status&gt;</code>",
            obj.ping_url(),
            obj.ping_url("start"),
            obj.ping_url("fail"),
            obj.ping_url(),
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and obj.last_ping and obj.status != Status.PAUSED:
            Check.objects.filter(pk=obj.pk).update(alert_after=obj.compute_alert_after())

    @admin.action(description="Pause (no alerts until the next ping)")
    def pause(self, request, queryset):
        changed = sum(services.set_paused(check, True) for check in queryset)
        self.message_user(request, f"Paused {changed} check(s).")

    @admin.action(description="Resume")
    def resume(self, request, queryset):
        changed = sum(services.set_paused(check, False) for check in queryset)
        self.message_user(request, f"Resumed {changed} check(s).")


@admin.register(Monitor)
class MonitorAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = ["name", "status", "method", "url", "interval_seconds", "last_checked_at", "last_reason"]
    list_filter = ["status"]
    search_fields = ["name", "slug", "url"]
    readonly_fields = ["status", "consecutive_failures", "last_checked_at", "last_reason", "tls_expires_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "url", "method"]}),
        ("What counts as up", {"fields": ["expected_status", "body_contains", "timeout_seconds", "tls_warn_days"]}),
        ("Schedule", {"fields": ["interval_seconds", "failures_before_down"]}),
        ("State", {"fields": readonly_fields}),
    ]
    inlines = [MonitorFlipInline]


@admin.register(MonitorResult)
class MonitorResultAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["checked_at", "monitor", "up", "status_code", "response_ms", "reason", "tls_days_left"]
    list_filter = ["up"]
    list_select_related = ["monitor"]
    date_hierarchy = "checked_at"
