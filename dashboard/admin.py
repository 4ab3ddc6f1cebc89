from django.contrib import admin

from dashboard.models import RenderTiming, Target
from monitoring_site.admin import AdminRoleOnly, ReadOnlyAdmin


@admin.register(Target)
class TargetAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = ["key", "comparison", "threshold", "unit", "position"]
    list_editable = ["comparison", "threshold", "position"]
    fields = ["key", "comparison", "threshold", "unit", "position"]

    def get_readonly_fields(self, request, obj=None):
        # The key and unit decide how the value is measured; only the bar itself is a choice.
        return ["key", "unit"] if obj else []


@admin.register(RenderTiming)
class RenderTimingAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["recorded_at", "page", "duration_ms"]
    date_hierarchy = "recorded_at"
    list_filter = ["page"]
