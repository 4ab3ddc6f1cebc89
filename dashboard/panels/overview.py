"""Sections of the overview (/admin/): KPI cards, targets vs current, dependency health."""

from dashboard import data
from dashboard.formatting import card, number
from dashboard.models import Target
from dashboard.ranges import Window
from dashboard.sources import cached, call, query
from monitoring_site import queries as platform
from monitoring_site.health import full_health


def ai_stats(window: Window, earlier: bool = False) -> dict | None:
    """window_stats of ailogs, shared by the KPI cards and the targets (one query per 30 s)."""
    w = window.previous if earlier else window
    key = f"ai_stats:{window.key}:{window.tenant}:{earlier}"
    stats = cached(key, lambda: call("ailogs", "window_stats", w.since, w.until, w.ai_filters()))
    # Without calls a rate of 0 % means "nothing to compare", not "perfect": show no value.
    return stats if stats and stats["count"] else None


def pick(stats: dict | None, *path):
    for step in path:
        if stats is None:
            return None
        stats = stats.get(step)
    return stats


def ai_kpis(window: Window) -> dict:
    now, before = ai_stats(window), ai_stats(window, earlier=True)
    sessions = [data.active_sessions(w) for w in (window, window.previous)]
    cards = [
        card(
            "ai_latency_avg",
            "Avg AI latency",
            pick(now, "duration_ms", "avg"),
            pick(before, "duration_ms", "avg"),
            "ms",
        ),
        card(
            "ai_latency_p95",
            "AI latency p95",
            pick(now, "duration_ms", "p95"),
            pick(before, "duration_ms", "p95"),
            "ms",
        ),
        card("ai_error_rate", "AI error rate", pick(now, "error_rate"), pick(before, "error_rate"), "%"),
        card("ai_tokens", "Total tokens", pick(now, "total_tokens"), pick(before, "total_tokens"), better="none"),
        card("ai_cost", "AI cost", pick(now, "cost_usd"), pick(before, "cost_usd"), "$"),
        card(
            "active_sessions",
            "Active sessions (approx.)" if data.distinct_is_approximate(window) else "Active sessions",
            *sessions,
            better="higher",
        ),
    ]
    return {"cards": cards, "available": query("ailogs", "window_stats") is not None}


def traffic_kpis(window: Window) -> dict:
    now, before = (call("metrics", "http_summary", w.since, w.until) for w in (window, window.previous))
    now, before = (s if s and s["requests"] else None for s in (now, before))
    per_minute = [None if s is None else s["requests"] / window.minutes for s in (now, before)]
    cards = [
        card("requests_per_min", "Requests / min", *per_minute, better="none"),
        card("http_5xx_rate", "HTTP 5xx rate", pick(now, "error_rate_5xx"), pick(before, "error_rate_5xx"), "%"),
    ]
    return {"cards": cards, "available": query("metrics", "http_summary") is not None}


def feedback_panel(window: Window) -> dict:
    pending = data.pending_feedback(window.until)
    cards = [
        card("pending_feedback", "Pending feedback", pending, data.pending_feedback(window.since)),
        card("high_priority", "High priority pending", call("feedback", "high_priority_pending"), None),
    ]
    return {"cards": cards, "available": pending is not None}


def current_values(window: Window) -> dict:
    stats = ai_stats(window)
    return {
        Target.Key.AI_LATENCY_AVG: pick(stats, "duration_ms", "avg"),
        Target.Key.AI_ERROR_RATE: pick(stats, "error_rate"),
        Target.Key.AI_LATENCY_P95: pick(stats, "duration_ms", "p95"),
        Target.Key.DASHBOARD_LOAD: data.render_p95_ms(window.since, window.until),
        Target.Key.UPTIME: platform.uptime_percent(window.since, window.until),
        # From incidents (opened -> acknowledged / resolved), not single alerts: one outage, one figure.
        Target.Key.MTTR: call("incidents", "mttr_minutes", window.since, window.until),
        Target.Key.MTTA: call("incidents", "mtta_minutes", window.since, window.until),
    }


def targets(window: Window) -> dict:
    values = current_values(window)
    rows = []
    for target in Target.objects.all():
        value = values.get(target.key)
        verdict = target.passes(value)
        status = {True: "pass", False: "fail", None: "no data"}[verdict]
        rows.append(
            [
                target.get_key_display(),
                f"{target.symbol} {number(target.threshold, target.unit)}",
                number(value, target.unit),
                {"text": status, "badge": status},
            ]
        )
    return {
        "tables": [
            {
                "id": "targets",
                "title": "",
                "columns": ["Target", "Goal", "Current", "Status"],
                "rows": rows,
                "empty": "No targets.",
            }
        ]
    }


def _detail(service: dict) -> str:
    if service.get("error"):
        return service["error"]
    if "last_run" not in service:
        return ""
    parts = [f"beat {_hhmm(service['last_run'])}"]
    if "alerts_evaluated" in service:
        parts.append(f"alerts evaluated {_hhmm(service['alerts_evaluated'])}")
    return ", ".join(parts)


def _hhmm(iso: str | None) -> str:
    return iso[:16].replace("T", " ") + " UTC" if iso else "never"


def health(window: Window) -> dict:
    body, _ = full_health()
    rows = [
        [
            name,
            {"text": s["status"], "badge": s["status"]},
            s.get("type") or "",
            _detail(s),
        ]
        for name, s in body["services"].items()
    ]
    system = body["system"]
    rows.append(
        ["memory", "", f"{system['memory_used_percent']} % used", f"{system['memory_available_mb']:.0f} MB available"]
    )
    rows.append(["disk", "", f"{system['disk_free_percent']} % free", ""])
    table = {"id": "health", "title": "", "columns": ["Service", "Status", "Type", "Detail"], "rows": rows, "empty": ""}
    return {"status": body["status"], "notes": body.get("notes", []), "tables": [table]}
