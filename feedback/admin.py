from django.contrib import admin
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from feedback.links import can_view_ai_logs, trace_page_url, trace_url
from feedback.models import Feedback, FeedbackSite
from monitoring_site.admin import AdminRoleOnly


@admin.register(FeedbackSite)
class FeedbackSiteAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = ["name", "public_key", "origin_list", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "public_key", "allowed_origins"]
    readonly_fields = ["public_key", "embed_snippet", "created_at"]
    fields = ["name", "allowed_origins", "is_active", "public_key", "embed_snippet", "created_at"]

    @admin.display(description="Allowed origins")
    def origin_list(self, obj: FeedbackSite) -> str:
        return ", ".join(obj.origins)

    @admin.display(description="Embed")
    def embed_snippet(self, obj: FeedbackSite) -> str:
        if not obj.pk:
            return "Save the site to get its key."
        return format_html(
            '<code>&lt;script src="{}/widget.js" data-site-key="{}" async&gt;&lt;/script&gt;</code>',
            self.site_url,
            obj.public_key,
        )

    @property
    def site_url(self) -> str:
        from django.conf import settings

        return settings.SITE_URL.rstrip("/")


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", "Pending, high priority")]

    def queryset(self, request, queryset):
        return queryset.needing_attention() if self.value() == "yes" else queryset


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """Triage queue for Moderators and Admins (model permissions from roles.py)."""

    list_display = [
        "id",
        "attention",
        "summary",
        "category",
        "priority",
        "status",
        "site_name",
        "submitter",
        "assignee",
        "created_at",
    ]
    list_display_links = ["id", "summary"]
    list_filter = [
        NeedsAttentionFilter,
        "status",
        "category",
        "priority",
        "site",
        ("assignee", admin.RelatedOnlyFieldListFilter),
        "created_at",
    ]
    list_select_related = ["site", "user", "assignee"]
    search_fields = ["message", "email", "external_user_id", "trace_id", "user__username", "notes"]
    date_hierarchy = "created_at"
    list_per_page = 50
    actions = [
        "mark_reviewed",
        "mark_resolved",
        "mark_spam",
        "set_priority_high",
        "set_priority_medium",
        "set_priority_low",
        "assign_to_me",
    ]
    readonly_fields = [
        "message_text",
        "site_name",
        "submitter",
        "email",
        "page_link",
        "trace_link",
        "user_agent",
        "viewport",
        "metadata",
        "spam_reason",
        "client_address",
        "created_at",
        "updated_at",
        "trace_id",
    ]
    fieldsets = [
        (None, {"fields": ["message_text", "category", "site_name", "submitter", "email", "created_at"]}),
        ("Triage", {"fields": ["status", "priority", "assignee", "notes", "spam_reason", "updated_at"]}),
        ("Context", {"fields": ["page_link", "trace_link", "user_agent", "viewport", "client_address", "metadata"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return False  # feedback arrives through the widget or the API only

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = db_field.remote_field.model.objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="!")
    def attention(self, obj: Feedback) -> str:
        if obj.needs_attention:
            return format_html(
                '<strong title="{}" style="color:#b91c1c">{}</strong>',
                "Pending high-priority feedback",
                "⚠ needs attention",
            )
        return ""

    @admin.display(description="Message")
    def summary(self, obj: Feedback) -> str:
        return Truncator(obj.message).chars(90)  # plain text: the admin escapes it

    @admin.display(description="Message")
    def message_text(self, obj: Feedback) -> str:
        return format_html('<div style="white-space:pre-wrap;max-width:60em">{}</div>', obj.message)

    @admin.display(description="Site", ordering="site__name")
    def site_name(self, obj: Feedback) -> str:
        return obj.site.name if obj.site_id else "this site"

    @admin.display(description="Submitted by")
    def submitter(self, obj: Feedback) -> str:
        if obj.user_id:
            return obj.user.get_username()
        return f"host user {obj.external_user_id}" if obj.external_user_id else (obj.email or "anonymous")

    @admin.display(description="Page")
    def page_link(self, obj: Feedback) -> str:
        if not obj.page_url.startswith(("http://", "https://")):
            return obj.page_url
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', obj.page_url, obj.page_url)

    @admin.display(description="AI call")
    def trace_link(self, obj: Feedback) -> str:
        url = trace_url(obj.trace_id)
        if not url:
            return obj.trace_id or "-"
        page = trace_page_url(obj.trace_id)
        if not page:
            return format_html('<a href="{}">{}</a>', url, obj.trace_id)
        return format_html('<a href="{}">{}</a> · <a href="{}">trace</a>', url, obj.trace_id, page)

    def get_fieldsets(self, request, obj=None):
        # Only users who may open AI logs get the link; Moderators see the trace id as text.
        if can_view_ai_logs(request):
            return self.fieldsets
        swap = {"trace_link": "trace_id"}
        return [(name, {**opts, "fields": [swap.get(f, f) for f in opts["fields"]]}) for name, opts in self.fieldsets]

    def _update(self, request, queryset: QuerySet, message: str, **fields) -> None:
        count = queryset.update(**fields, updated_at=timezone.now())
        self.message_user(request, f"{count} feedback item(s) {message}.")

    @admin.action(description="Mark selected as reviewed", permissions=["change"])
    def mark_reviewed(self, request, queryset):
        self._update(request, queryset, "marked reviewed", status=Feedback.Status.REVIEWED)

    @admin.action(description="Mark selected as resolved", permissions=["change"])
    def mark_resolved(self, request, queryset):
        self._update(request, queryset, "marked resolved", status=Feedback.Status.RESOLVED)

    @admin.action(description="Mark selected as spam", permissions=["change"])
    def mark_spam(self, request, queryset):
        self._update(
            request, queryset, "marked spam", status=Feedback.Status.SPAM, spam_reason=Feedback.SpamReason.MANUAL
        )

    @admin.action(description="Set priority: high", permissions=["change"])
    def set_priority_high(self, request, queryset):
        self._update(request, queryset, "set to high priority", priority=Feedback.Priority.HIGH)

    @admin.action(description="Set priority: medium", permissions=["change"])
    def set_priority_medium(self, request, queryset):
        self._update(request, queryset, "set to medium priority", priority=Feedback.Priority.MEDIUM)

    @admin.action(description="Set priority: low", permissions=["change"])
    def set_priority_low(self, request, queryset):
        self._update(request, queryset, "set to low priority", priority=Feedback.Priority.LOW)

    @admin.action(description="Assign selected to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._update(request, queryset, f"assigned to {request.user.get_username()}", assignee=request.user)
