"""The AI tab: error rate and latency over time, tokens, cost, success by function, top errors."""

from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from dashboard import data
from dashboard.charts import category_chart, table, time_chart
from dashboard.formatting import card, number
from dashboard.ranges import Window
from dashboard.sources import call


def _column(series: dict, field: str) -> dict:
    return {bucket: point[field] for bucket, point in series.items()}


def over_time(window: Window) -> dict:
    series = data.ai_series(window)
    if series is None:
        return {"available": False}
    latency = {q: _column(series, q) for q in ("p50", "p95", "p99")}
    return {
        "charts": [
            time_chart(
                "error_rate",
                "Error rate",
                window,
                {"errors": _column(series, "error_rate")},
                "%",
                axis="error rate (%)",
            ),
            time_chart("latency", "Latency p50 / p95 / p99", window, latency, "ms", axis="latency (ms)"),
            time_chart(
                "cost",
                f"Cost per {_bucket_name(window)}",
                window,
                {"cost": _column(series, "cost_usd")},
                "USD",
                kind="bar",
                axis="cost (USD)",
            ),
            time_chart(
                "calls",
                f"Calls per {_bucket_name(window)}",
                window,
                {"calls": _column(series, "count")},
                "calls",
                kind="bar",
                axis="calls",
            ),
        ]
    }


def _bucket_name(window: Window) -> str:
    minutes = int(window.bucket.total_seconds() // 60)
    return f"{minutes} min" if minutes < 60 else ("hour" if minutes == 60 else f"{minutes // 60} h")


def breakdowns(window: Window) -> dict:
    by_model = data.ai_totals(window, "model")
    if by_model is None:
        return {"available": False}
    by_function = data.ai_totals(window, "function")
    success = {name: 100 * (t["count"] - t["errors"]) / t["count"] for name, t in by_function.items() if t["count"]}
    by_actor = call("ailogs", "cost_by_actor_type", window.since, window.until, tenant=window.tenant or None) or {}
    return {
        "charts": [
            _bars("tokens_by_model", "Tokens by model", by_model, "total_tokens", "tokens"),
            category_chart(
                "success_by_function",
                "Success rate by function",
                list(success),
                {"success": list(success.values())},
                "%",
                horizontal=True,
                axis="success (%)",
            ),
            _bars("cost_by_tenant", "Cost by tenant", data.ai_totals(window, "tenant"), "cost_usd", "USD"),
            category_chart(
                "cost_by_actor",
                "Cost by actor type",
                [k or "(none)" for k in by_actor],
                {"cost": list(by_actor.values())},
                "USD",
                axis="cost (USD)",
            ),
        ]
    }


def _bars(chart_id: str, title: str, groups: dict, field: str, unit: str) -> dict:
    top = sorted(groups.items(), key=lambda item: -(item[1][field] or 0))[:12]
    what = title.split(" by ")[0]
    labels = [name or "(none)" for name, _ in top]
    return category_chart(
        chart_id, title, labels, {what: [totals[field] for _, totals in top]}, unit, axis=f"{what.lower()} ({unit})"
    )


def quality(window: Window) -> dict:
    now, before = data.ai_totals(window), data.ai_totals(window.previous)
    if now is None:
        return {"available": False}
    repeated = call("ailogs", "repeated_input_share", window.since, window.until, window.tenant or None) or {}
    before = before if before["count"] else dict.fromkeys(before)  # nothing earlier: no change arrows
    cards = [
        card("unpriced", "Unpriced calls", now["unpriced"], before["unpriced"]),
        card(
            "repeated_inputs",
            "Repeated inputs (cacheable, approx.)" if repeated.get("approximate") else "Repeated inputs (cacheable)",
            repeated.get("share"),
            None,
            "%",
            better="none",
        ),
        card("calls", "AI calls", now["count"], before["count"], better="none"),
        card("errors", "Errors", now["errors"], before["errors"]),
    ]
    cards[1]["change_display"] = f"{number(repeated.get('repeated'))} of {number(repeated.get('hashed'))} hashed calls"
    return {"cards": cards}


def top_errors(window: Window) -> dict:
    rows = call("ailogs", "top_errors", window.since, window.until, tenant=window.tenant)
    if rows is None:
        return {"available": False}
    cells = [
        [
            {"text": r["error_message"][:160] or "(no message)", "href": _logs_link(r, window)},
            r["function"],
            r["model"],
            number(r["count"]),
            r["last_seen"].strftime("%Y-%m-%d %H:%M:%S"),
        ]
        for r in rows
    ]
    return {
        "tables": [
            table(
                "top_errors",
                "",
                ["Message", "Function", "Model", "Count", "Last seen (UTC)"],
                cells,
                "No errors in this range.",
            )
        ]
    }


def _logs_link(row: dict, window: Window) -> str:
    """The AI-call list in the admin, filtered to this error's function and model."""
    try:
        base = reverse("admin:ailogs_aicall_changelist")
    except NoReverseMatch:
        return ""
    query = {
        "function": row["function"],
        "model": row["model"],
        "status__in": "error,timeout",
        "timestamp__gte": window.since.strftime("%Y-%m-%d %H:%M:%S"),
    }
    return f"{base}?{urlencode(query)}"


def traces(window: Window) -> dict:
    """The slowest traces (root spans) and the most expensive sessions, linked to their pages."""
    slowest = call("traces", "slowest_traces", window.since, window.until, tenant=window.tenant)
    sessions = call("traces", "most_expensive_sessions", window.since, window.until, tenant=window.tenant)
    if slowest is None or sessions is None:
        return {"available": False}
    return {
        "tables": [
            table(
                "slowest_traces",
                "Slowest traces",
                ["Root span", "Service", "Duration", "Started (UTC)"],
                [
                    [
                        {"text": row["name"][:80], "href": _admin_link("admin:traces_trace", trace_id=row["trace_id"])},
                        row["service_name"] or "–",
                        number(row["duration_ms"], "ms"),
                        row["start_time"].strftime("%Y-%m-%d %H:%M:%S"),
                    ]
                    for row in slowest
                ],
                "No trace in this range.",
            ),
            table(
                "expensive_sessions",
                "Most expensive sessions",
                ["Session", "Cost", "Traces", "AI calls", "Errors"],
                [
                    [
                        {
                            "text": row["session_id"][:60],
                            "href": _admin_link("admin:traces_session", session_id=row["session_id"]),
                        },
                        f"${row['cost_usd'] or 0:,.4f}",
                        number(row["traces"]),
                        number(row["calls"]),
                        number(row["errors"]),
                    ]
                    for row in sessions
                ],
                "No session in this range.",
            ),
        ]
    }


def _admin_link(name: str, **kwargs) -> str:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""
