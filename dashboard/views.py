"""Dashboard pages inside the admin: the overview (the admin index) and one page per tab, each
with a JSON twin that the page polls every 60 s."""

import time
from functools import partial

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, register_converter, reverse
from django.urls.converters import StringConverter
from django.utils import timezone

from dashboard import ranges, sources
from dashboard.models import RenderTiming
from dashboard.sections import TABS, build_costs
from monitoring_site.replica import replica_reads
from monitoring_site.roles import is_admin

# Only AI calls carry a tenant; other pages would ignore the control.
TENANT_TABS = ("overview", "ai", "usage")


def _load(request, tab_key: str):
    """Authorize, then return (tab, window, sections data) or raise/return an error response."""
    tab = TABS[tab_key]
    if not tab.allows(request.user):
        raise PermissionDenied  # checked on the server: a Moderator gets 403, not a hidden link
    window = ranges.parse(request.GET)
    with replica_reads():
        sections = tab.sections_for(request.user)
        builds = [partial(section.data, window) for section in sections]
        return tab, window, sources.gather(builds, build_costs(sections, window))


def data(request, tab: str):
    try:
        tab_, window, sections = _load(request, tab)
    except ranges.BadRange as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    return JsonResponse(
        {"tab": tab, "range": window.key, "tenant": window.tenant, "generated_at": timezone.now(), "sections": sections}
    )


def page(site, request, tab: str):
    started = time.perf_counter()
    try:
        tab_, window, sections = _load(request, tab)
    except ranges.BadRange as exc:
        return HttpResponseBadRequest(str(exc))
    context = {
        **site.each_context(request),
        "title": "Dashboard" if tab == "overview" else tab_.title,
        "tab": tab_,
        "tabs": [t for t in TABS.values() if t.allows(request.user)],
        "window": window,
        "ranges": list(ranges.RANGES),
        "sections": sections,
        "show_tenant": tab in TENANT_TABS and is_admin(request.user),
        "payload": {"sections": sections, "data_url": reverse("admin:dashboard-data", kwargs={"tab": tab})},
    }
    response = TemplateResponse(request, "dashboard/page.html", context)
    response.render()
    _record(tab, response, started)
    return response


def _record(tab: str, response, started: float) -> None:
    """Keep the render time: it is the "dashboard load" target and the Server-Timing header."""
    elapsed = (time.perf_counter() - started) * 1000
    RenderTiming.objects.create(page=tab, duration_ms=elapsed)
    response["Server-Timing"] = f"render;dur={elapsed:.1f}"


def _names(names) -> type:
    """A path converter matching only these names: the model admin URLs next to ours
    (/admin/dashboard/target/) stay reachable, and /metrics names routes by a readable pattern."""
    return type("DashboardNames", (StringConverter,), {"regex": "|".join(names)})


register_converter(_names(TABS), "dashboard_data")
register_converter(_names(t for t in TABS if t != "overview"), "dashboard_tab")


def admin_urls(site) -> list:
    """URLs mounted by MonitoringAdminSite.get_urls(): /admin/dashboard/<tab>/ and .../data/."""
    return [
        path("dashboard/<dashboard_data:tab>/data/", site.admin_view(data), name="dashboard-data"),
        path("dashboard/<dashboard_tab:tab>/", site.admin_view(partial(page, site)), name="dashboard-tab"),
    ]
