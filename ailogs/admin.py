import copy

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, QueryDict
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html

from ailogs.export import csv_response
from ailogs.models import AiCall, AiCallHourly, ModelPrice
from ailogs.pricing import clear_cache
from monitoring_site.admin import AdminRoleOnly, ReadOnlyAdmin
from monitoring_site.models import AuditEvent


class RolledUpValues(admin.SimpleListFilter):
    """Choices from the hourly rollups: a DISTINCT over millions of raw calls on every page view
    would take seconds; the rollup grain of the same dimension has a handful of rows per hour."""

    dimension = ""

    def lookups(self, request, model_admin):
        values = AiCallHourly.objects.filter(grain=self.dimension).exclude(**{self.dimension: ""})
        return [(v, v) for v in values.order_by(self.dimension).values_list(self.dimension, flat=True).distinct()[:200]]

    def has_output(self) -> bool:
        return True  # still filter by a value given in the URL before the first rollup ran

    def queryset(self, request, queryset):
        return queryset.filter(**{self.dimension: self.value()}) if self.value() else queryset


def rolled_up_filter(name: str) -> type:
    return type(f"{name.title()}Filter", (RolledUpValues,), {"title": name, "parameter_name": name, "dimension": name})


@admin.register(AiCall)
class AiCallAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "timestamp",
        "function",
        "model",
        "provider",
        "status",
        "duration_ms",
        "total_tokens",
        "cost_usd",
        "tenant",
        "trace_link",
    ]  # cost source, ids and previews are on the detail page: the list fits 1440 px
    readonly_fields = ["trace_link"]
    ordering = ["-timestamp"]  # the demo and batched clients insert out of time order: -pk is not newest first
    list_filter = [
        "status",
        *(rolled_up_filter(name) for name in ("provider", "model", "function", "tenant")),
        "cost_source",
    ]
    date_hierarchy = "timestamp"
    # Exact matches only ("="): ids and hashes are looked up whole, never by substring.
    search_fields = ["=trace_id", "=session_id", "=user_id", "=input_hash", "=event_id"]
    search_help_text = "Exact trace, session or user id, input hash or event id."
    show_full_result_count = False  # count(*) over millions of rows on every page view is slow
    list_per_page = 100

    def has_delete_permission(self, request, obj=None):
        return False  # retention deletes; a hand delete would also leave rollups stale

    @admin.display(description="Trace")
    def trace_link(self, call: AiCall) -> str:
        """The trace page (traces app) of a call that has a trace id."""
        if not call.trace_id:
            return "-"
        try:
            url = reverse("admin:traces_trace", kwargs={"trace_id": call.trace_id})
        except NoReverseMatch:  # the traces app is not installed, or the id cannot be a URL segment
            return call.trace_id
        return format_html('<a href="{}">{}</a>', url, call.trace_id[:16] + ("…" if len(call.trace_id) > 16 else ""))

    def get_urls(self):
        export = path("export/", self.admin_site.admin_view(self.export_view), name="ailogs_aicall_export")
        return [export, *super().get_urls()]

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
            queryset = changelist.get_queryset(request)
        except IncorrectLookupParameters as exc:
            # The changelist redirects to ?e=1 on these; a download link has nowhere to redirect,
            # so say which parameters are wrong instead of the former 500.
            bad = ", ".join(self._bad_parameters(request)) or ", ".join(request.GET)
            return HttpResponseBadRequest(
                f"Unknown or invalid filter parameter(s): {bad}. Use the filters of the AI calls list "
                f"(its URL's query string works here). Detail: {exc}",
                content_type="text/plain; charset=utf-8",
            )
        AuditEvent.objects.create(
            kind=AuditEvent.Kind.EXPORT,
            actor=request.user,
            actor_label=request.user.get_username(),
            ip_address=request.META.get("REMOTE_ADDR"),
            detail={"what": "ai calls", "filters": request.GET.dict()},
        )
        return csv_response(queryset)

    def _bad_parameters(self, request) -> list[str]:
        """The query parameters the changelist rejects when given alone."""
        bad = []
        for name, values in request.GET.lists():
            alone = copy.copy(request)
            alone.GET = QueryDict(mutable=True)
            alone.GET.setlist(name, values)
            try:
                self.get_changelist_instance(alone).get_queryset(alone)
            except IncorrectLookupParameters:
                bad.append(name)
        return bad


@admin.register(AiCallHourly)
class AiCallHourlyAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "hour",
        "period",
        "model",
        "function",
        "provider",
        "tenant",
        "status",
        "count",
        "total_tokens",
        "cost_usd",
        "unpriced",
    ]
    list_filter = ["period", "grain", "status", "provider", "model"]
    date_hierarchy = "hour"
    ordering = ["-hour"]
    show_full_result_count = False


@admin.register(ModelPrice)
class ModelPriceAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = [
        "pattern",
        "provider",
        "effective_from",
        "input_per_mtok",
        "output_per_mtok",
        "cached_input_per_mtok",
        "updated_at",
    ]
    list_filter = ["provider"]
    search_fields = ["pattern"]
    fieldsets = [
        (None, {"fields": ["provider", "pattern", "effective_from", "notes"]}),
        ("USD per million tokens", {"fields": ["input_per_mtok", "output_per_mtok", "cached_input_per_mtok"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        clear_cache()  # this process at once; the others within AILOGS_PRICE_CACHE_SECONDS
        AuditEvent.objects.create(
            kind=AuditEvent.Kind.CONFIG_CHANGED,
            actor=request.user,
            actor_label=request.user.get_username(),
            detail={"model price": str(obj)},
        )
