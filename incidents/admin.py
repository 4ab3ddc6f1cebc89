"""Admin: incidents (Admins and Moderators; post-mortem and action items), events, status pages (Admins)."""

from django.contrib import admin
from django.utils.html import format_html

from incidents.models import ActionItem, Event, Incident, IncidentUpdate, StatusPage, StatusPageComponent
from monitoring_site.admin import AdminRoleOnly
from monitoring_site.roles import ADMIN, MODERATOR, has_role


class IncidentRoles:
    """Admins and Moderators run incidents; only Admins delete them."""

    def _allowed(self, request) -> bool:
        return has_role(request.user, ADMIN, MODERATOR)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request, *args):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return has_role(request.user, ADMIN)


class ActionItemInline(IncidentRoles, admin.TabularInline):
    model = ActionItem
    extra = 1


class UpdateInline(IncidentRoles, admin.TabularInline):
    model = IncidentUpdate
    extra = 0
    fields = ["created_at", "author_label", "public", "status", "body"]
    readonly_fields = ["created_at", "author_label"]


@admin.register(Incident)
class IncidentAdmin(IncidentRoles, admin.ModelAdmin):
    list_display = ["__str__", "status", "owner", "created_at", "resolved_at", "public", "timeline_link"]
    list_filter = ["status", "severity", "public"]
    list_select_related = ["owner"]
    search_fields = ["title", "public_title"]
    fieldsets = [
        (None, {"fields": ["title", "severity", "status", "owner", "created_at"]}),
        ("Status pages", {"fields": ["public", "public_title"]}),
        ("Times", {"fields": ["acknowledged_at", "mitigated_at", "resolved_at"]}),
        ("Post-mortem", {"fields": ["summary", "root_cause"]}),
    ]
    inlines = [ActionItemInline, UpdateInline]

    @admin.display(description="Timeline")
    def timeline_link(self, obj: Incident) -> str:
        return format_html('<a href="{}">timeline</a>', obj.get_absolute_url())

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data:
            obj.set_status(obj.status)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for item in formset.save(commit=False):
            if isinstance(item, IncidentUpdate) and not item.author_label:
                item.author, item.author_label = request.user, request.user.get_username()
            item.save()
        for item in formset.deleted_objects:
            item.delete()
        formset.save_m2m()


@admin.register(Event)
class EventAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = ["timestamp", "kind", "title", "version", "tenant", "created_by_label"]
    list_filter = ["kind"]
    date_hierarchy = "timestamp"


class ComponentInline(AdminRoleOnly, admin.TabularInline):
    model = StatusPageComponent
    extra = 1
    fields = ["public_name", "check_item", "monitor", "position"]


@admin.register(StatusPage)
class StatusPageAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = ["title", "slug", "public_link"]
    inlines = [ComponentInline]

    @admin.display(description="Public page")
    def public_link(self, obj: StatusPage) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.get_absolute_url())
