from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from monitoring_site.models import SCOPES, ApiKey, AuditEvent, HealthSample, Heartbeat
from monitoring_site.roles import is_admin


def short_number(value: float | None) -> str:
    """A float as a list column shows it: 4 significant digits, thousands whole (0.772840351 -> 0.7728)."""
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def rounded(field: str, description: str = ""):
    """A changelist column for a float field, rounded: raw floats made every metric list scroll sideways.
    The detail page keeps the exact value."""

    @admin.display(description=description or field.replace("_", " "), ordering=field)
    def column(obj) -> str:
        return short_number(getattr(obj, field))

    column.__name__ = f"{field}_short"
    return column


def compact_tags(tags: dict | None) -> str:
    """Tags as `key=value` pairs: narrower than JSON with its quotes and braces."""
    return " ".join(f"{k}={v}" for k, v in (tags or {}).items()) or "-"


class AdminRoleOnly:
    """Admin-role pages: Moderators and Users get 403 from every view, not just hidden links."""

    def has_module_permission(self, request):
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_add_permission(self, request, *args):
        return is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user)


class ReadOnlyAdmin(AdminRoleOnly):
    """Machine-written tables: viewable by Admins, never edited by hand."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=[(s, s) for s in SCOPES], widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "rate_limit_per_minute", "expires_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(AdminRoleOnly, admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "display", "scope_list", "created_at", "expires_at", "last_used_at", "state"]
    list_filter = ["revoked_at", "created_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["display", "created_at", "created_by", "last_used_at", "revoked_at"]
    actions = ["revoke_keys"]

    @admin.display(description="Key")
    def display(self, obj):
        return obj.display

    @admin.display(description="Scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes)

    @admin.display(description="State")
    def state(self, obj):
        if obj.revoked_at:
            return "revoked"
        if obj.expires_at and obj.expires_at <= timezone.now():
            return "expired"
        return "active"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "scopes", "rate_limit_per_minute", "expires_at"]
        return [
            "name",
            "display",
            "scopes",
            "rate_limit_per_minute",
            "expires_at",
            "created_at",
            "created_by",
            "last_used_at",
            "revoked_at",
        ]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = ApiKey.issue(
            obj.name,
            form.cleaned_data["scopes"],
            rate_limit_per_minute=obj.rate_limit_per_minute,
            expires_at=obj.expires_at,
            created_by=request.user,
        )
        obj.pk = key.pk
        obj.refresh_from_db()
        AuditEvent.objects.create(
            kind=AuditEvent.Kind.API_KEY_CREATED,
            actor=request.user,
            actor_label=request.user.get_username(),
            detail={"key": key.display, "scopes": key.scopes},
        )
        messages.warning(request, f"Copy this key now; it will not be shown again: {raw}")

    @admin.action(description="Revoke selected keys")
    def revoke_keys(self, request, queryset):
        count = 0
        for key in queryset.filter(revoked_at__isnull=True):
            key.revoke()
            AuditEvent.objects.create(
                kind=AuditEvent.Kind.API_KEY_REVOKED,
                actor=request.user,
                actor_label=request.user.get_username(),
                detail={"key": key.display},
            )
            count += 1
        self.message_user(request, f"Revoked {count} key(s).")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "actor_label", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["actor_label"]
    date_hierarchy = "created_at"


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "last_run"]


@admin.register(HealthSample)
class HealthSampleAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["checked_at", "status", "database_ok", "cache_ok", "broker_ok"]
    date_hierarchy = "checked_at"
    list_filter = ["status"]
