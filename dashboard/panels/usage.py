"""The Usage tab: active users, sessions, AI calls by function, exports, weekday x hour heatmap."""

import calendar
from datetime import timedelta

from dashboard import data
from dashboard.charts import category_chart, table
from dashboard.ranges import Window
from dashboard.sources import call


def _days(rows: list[dict], window: Window, *fields: str) -> tuple[list[str], dict[str, list]]:
    """One bar per day of the window, 0 where nothing happened: skipping quiet days hid them."""
    by_day = {r["day"]: r for r in rows}
    first, last = window.since.date(), window.until.date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if rows and not by_day.keys() <= set(days):  # a day outside the window's dates: trust the rows
        days = sorted(by_day)
    labels = [day.strftime("%b %d") for day in days]
    return labels, {field.replace("_", " "): [by_day.get(day, {}).get(field, 0) for day in days] for field in fields}


def daily(window: Window) -> dict:
    users = call("metrics", "daily_active_users", window.since, window.until)
    if users is None:
        return {"available": False}
    sessions = call("metrics", "sessions_per_day", window.since, window.until) or []
    exports = call("metrics", "exports_per_day", window.since, window.until) or []
    approx = " (AI figures approx.)" if any(r.get("approximate") for r in users + sessions) else ""
    return {
        "charts": [
            category_chart(
                "dau",
                f"Daily active users{approx}",
                *_days(users, window, "ai_users", "site_users"),
                "users",
                axis="distinct users",
                x_axis="day (UTC)",
                empty=not users,
            ),
            category_chart(
                "sessions",
                "Sessions per day" + (" (approx.)" if approx else ""),
                *_days(sessions, window, "sessions"),
                "sessions",
                axis="sessions",
                x_axis="day (UTC)",
                empty=not sessions,
            ),
            category_chart(
                "exports",
                "Exports per day",
                *_days(exports, window, "exports"),
                "exports",
                axis="exports",
                x_axis="day (UTC)",
                empty=not exports,
            ),
        ]
    }


def functions(window: Window) -> dict:
    totals = data.ai_totals(window, "function")  # rollup sums: metrics.usage scans raw rows
    if totals is None:
        return {"available": False}
    top = sorted(totals.items(), key=lambda item: -item[1]["count"])[:15]
    series = {"calls": [t["count"] for _, t in top], "errors": [t["errors"] for _, t in top]}
    return {
        "charts": [
            category_chart(
                "by_function",
                "AI calls by function",
                [name for name, _ in top],
                series,
                "calls",
                horizontal=True,
                axis="calls",
            )
        ]
    }


def heatmap(window: Window) -> dict:
    grid = data.activity_by_weekday_hour(window)
    if grid is None:
        return {"available": False}
    peak = max(max(row) for row in grid) or 1
    rows = [
        [calendar.day_abbr[day]]
        + [
            {"text": "", "heat": round(n / peak, 3), "title": f"{calendar.day_name[day]} {hour:02d}:00: {n} calls"}
            for hour, n in enumerate(row)
        ]
        for day, row in enumerate(grid)
    ]
    columns = ["UTC"] + [f"{h:02d}" for h in range(24)]
    return {
        "tables": [
            table(
                "heatmap",
                "AI calls by weekday and hour (UTC)",
                columns,
                rows if any(map(any, grid)) else [],
                kind="heatmap",
            )
        ]
    }
