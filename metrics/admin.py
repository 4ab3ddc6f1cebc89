"""Metric browser for the Admin role: read-only lists with filters and a streamed CSV export of
exactly what the filters select (recorded as an audit event)."""

from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils import timezone

from metrics.models import MetricRollup, MetricSample, RequestMinute
from monitoring_site.admin import ReadOnlyAdmin, compact_tags, rounded
from monitoring_site.lib.csv_export import stream_csv
from monitoring_site.models import AuditEvent
from monitoring_site.replica import read_alias, replica_reads


class WindowFilter(admin.SimpleListFilter):
    title = "time window"
    parameter_name = "window"
    options = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}

    def lookups(self, request, model_admin):
        return [(key, f"last {key}") for key in self.options]

    def queryset(self, request, queryset):
        if self.value() in self.options:
            field = self.time_field(queryset.model)
            return queryset.filter(**{f"{field}__gte": timezone.now() - self.options[self.value()]})
        return queryset

    @staticmethod
    def time_field(model) -> str:
        return {MetricSample: "timestamp", MetricRollup: "bucket", RequestMinute: "minute"}[model]


class NameFilter(admin.SimpleListFilter):
    """Metric names from the rollups (small) plus the last hour of raw samples."""

    title = "metric"
    parameter_name = "name"

    def lookups(self, request, model_admin):
        recent = MetricSample.objects.filter(timestamp__gte=timezone.now() - timedelta(hours=1))
        names = set(MetricRollup.objects.values_list("name", flat=True).distinct()) | set(
            recent.values_list("name", flat=True).distinct()
        )
        return [(name, name) for name in sorted(names)]

    def queryset(self, request, queryset):
        return queryset.filter(name=self.value()) if self.value() else queryset


class CsvExportAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    change_list_template = "admin/metrics/change_list_export.html"
    show_full_result_count = False  # no COUNT(*) over millions of raw rows on every page
    list_per_page = 100
    export_fields: list[str] = []

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        export = path("export/", self.admin_site.admin_view(self.export_csv), name="{}_{}_export".format(*info))
        return [export, *super().get_urls()]

    @admin.display(description="tags")
    def tag_pairs(self, obj) -> str:
        return compact_tags(obj.tags)

    def export_csv(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset = self.get_changelist_instance(request).get_queryset(request)
        AuditEvent.objects.create(
            kind=AuditEvent.Kind.EXPORT,
            actor=request.user,
            actor_label=request.user.get_username(),
            ip_address=request.META.get("REMOTE_ADDR"),
            detail={"model": self.opts.label, "filters": dict(request.GET.items())},
        )
        with replica_reads():  # bound now: the rows stream after the view returns
            queryset = queryset.using(read_alias())
        rows = ([_cell(v) for v in row] for row in queryset.values_list(*self.export_fields).iterator(chunk_size=5_000))
        return stream_csv(self.export_fields, rows, f"{self.opts.model_name}-{timezone.now():%Y%m%d-%H%M}.csv")


def _cell(value):
    if isinstance(value, dict):
        return ";".join(f"{k}={v}" for k, v in value.items())
    return value.isoformat() if hasattr(value, "isoformat") else value


@admin.register(MetricSample)
class MetricSampleAdmin(CsvExportAdmin):
    list_display = ["timestamp", "name", rounded("value"), "unit", "type", "tag_pairs", "source", "route"]
    list_filter = [NameFilter, WindowFilter, "type", "source"]
    ordering = ["-id"]  # the primary key index of every partition; there is no index on timestamp alone
    export_fields = ["timestamp", "name", "type", "value", "unit", "tags", "source", "route", "event_id"]


@admin.register(MetricRollup)
class MetricRollupAdmin(CsvExportAdmin):
    list_display = ["bucket", "period", "name", "tag_pairs", "count", rounded("p50"), rounded("p95"), rounded("max")]
    list_filter = [NameFilter, WindowFilter, "period"]
    exclude = ["histogram"]
    export_fields = ["bucket", "period", "name", "tags", "count", "sum", "min", "max", "p50", "p95", "p99"]


@admin.register(RequestMinute)
class RequestMinuteAdmin(CsvExportAdmin):
    list_display = [
        "minute",
        "method",
        "route",
        "status_class",
        "count",
        "average_ms",
        rounded("duration_max_ms", "max ms"),
    ]
    list_filter = [WindowFilter, "status_class", "method"]
    search_fields = ["route"]
    exclude = ["histogram"]
    export_fields = [
        "minute",
        "route",
        "method",
        "status_class",
        "count",
        "duration_sum_ms",
        "duration_min_ms",
        "duration_max_ms",
        "process",
    ]

    @admin.display(description="avg ms")
    def average_ms(self, obj):
        return round(obj.duration_sum_ms / obj.count, 2) if obj.count else None
