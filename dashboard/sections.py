"""What each dashboard page shows: a list of sections, each visible to some roles.

A section builds a plain dict (cards, charts, tables) from a Window; the same dict feeds the
server-rendered page and its JSON endpoint (auto-refresh), and is cached per range and tenant.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

from dashboard import data as queries
from dashboard.charts import markers
from dashboard.panels import ai, alerts, feedback, overview, system, usage
from dashboard.ranges import Window
from dashboard.sources import KEY_PREFIX, cached
from monitoring_site.roles import ADMIN, MODERATOR, has_role

STAFF_ROLES = (ADMIN, MODERATOR)
COST_SECONDS = 86400  # how long a section's last build time is remembered
# Who may see deploy/config/note events: those who see incident timelines (which list them).
EVENT_ROLES = frozenset(STAFF_ROLES)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    build: Callable[[Window], dict]
    roles: tuple[str, ...] = (ADMIN,)
    span: int = 12  # width on a 12-column grid
    # Its build time at long ranges before any is measured (build_costs): the build threads
    # start the costliest section first, and a slow one started last would hold the page.
    expected_seconds: float = 0.0

    def data(self, window: Window, force: bool = False) -> dict:
        key = f"{self.key}:{window.key}:{window.tenant}"
        # A background refresh runs later: it must recompute for its own "now", not this request's.
        data = cached(key, lambda: self._build(window.ending(timezone.now())), force=force)
        return {"key": self.key, "title": self.title, "span": self.span, **data}

    def _build(self, window: Window) -> dict:
        started = time.perf_counter()
        data = self.build(window)
        cache.set(cost_key(self.key, window), time.perf_counter() - started, COST_SECONDS)
        time_charts = [chart for chart in data.get("charts", ()) if "markers" in chart]
        if time_charts and EVENT_ROLES.issuperset(self.roles):
            shown = markers(window, queries.events(window))
            for chart in time_charts:
                chart["markers"] = shown
        return data


@dataclass(frozen=True)
class Tab:
    key: str
    title: str
    sections: tuple[Section, ...]
    roles: tuple[str, ...] = (ADMIN,)

    def allows(self, user) -> bool:
        return has_role(user, *self.roles)

    def sections_for(self, user) -> list[Section]:
        return [s for s in self.sections if has_role(user, *s.roles)]


def _tab(key: str, title: str, roles: tuple, *sections: tuple) -> Tab:
    """A tab whose sections all share its roles: (key, title, build[, {other Section fields}])."""
    return Tab(
        key,
        title,
        tuple(Section(*spec[:3], roles=roles, **(spec[3] if len(spec) > 3 else {})) for spec in sections),
        roles,
    )


TABS = {
    "overview": Tab(
        "overview",
        "Overview",
        (
            Section("ai_kpis", "AI calls", overview.ai_kpis),
            Section("traffic_kpis", "Traffic", overview.traffic_kpis, span=6),
            Section("feedback_kpis", "Feedback", overview.feedback_panel, STAFF_ROLES, span=6),
            Section("alerts_kpis", "Alerts", alerts.summary, STAFF_ROLES),
            Section("targets", "Targets vs current", overview.targets, span=6),
            Section("health", "Dependencies (as /api/health sees them)", overview.health, span=6),
        ),
        roles=STAFF_ROLES,
    ),
    "ai": _tab(
        "ai",
        "AI",
        (ADMIN,),
        ("ai_quality", "Calls, errors, pricing and caching", ai.quality),
        ("ai_time", "Over time", ai.over_time),
        ("ai_breakdowns", "Breakdowns", ai.breakdowns),
        ("ai_errors", "Top errors", ai.top_errors),
        # 30 days of sessions ranked by cost: 0.3-0.5 s over 5M calls, the slowest AI section.
        ("ai_traces", "Traces and sessions", ai.traces, {"expected_seconds": 0.5}),
    ),
    "system": _tab(
        "system",
        "System",
        (ADMIN,),
        ("sys_requests", "Requests", system.requests),
        ("sys_routes", "Routes", system.routes),
        ("sys_hosts", "Hosts", system.hosts),
        ("sys_queues", "Queues and database", system.queues),
    ),
    "feedback": _tab(
        "feedback",
        "Feedback",
        STAFF_ROLES,
        ("fb_volume", "Volume", feedback.volume),
        ("fb_items", "Items", feedback.items),
    ),
    "alerts": _tab(
        "alerts",
        "Alerts",
        STAFF_ROLES,
        ("al_summary", "Now", alerts.summary),
        ("al_timeline", "Timeline", alerts.timeline),
        ("al_deliveries", "Notifications", alerts.deliveries),
    ),
    "usage": _tab(
        "usage",
        "Usage",
        (ADMIN,),
        ("use_daily", "Daily", usage.daily),
        ("use_functions", "AI calls by function", usage.functions),
        ("use_heatmap", "Activity", usage.heatmap),
    ),
}


def build_costs(sections: list[Section], window: Window) -> list[float]:
    """Each section's last build time for this range in seconds, as any process (the beat task
    that warms every range, another web worker) last measured it; its expected_seconds if none."""
    keys = [cost_key(section.key, window) for section in sections]
    known = cache.get_many(keys)
    return [known.get(key, section.expected_seconds) for key, section in zip(keys, sections, strict=True)]


def cost_key(section: str, window: Window) -> str:
    return f"{KEY_PREFIX}cost:{section}:{window.key}"
