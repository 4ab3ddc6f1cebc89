"""The Feedback tab: volume by category and status over time, pending high-priority, recent items."""

from django.urls import NoReverseMatch, reverse

from dashboard import data
from dashboard.charts import table, time_chart
from dashboard.formatting import card
from dashboard.ranges import Window
from dashboard.sources import call


def volume(window: Window) -> dict:
    by_category = data.feedback_series(window, "category")
    if by_category is None:
        return {"available": False}
    by_status = data.feedback_series(window, "status")
    return {
        "cards": [
            card("pending", "Pending", data.pending_feedback(window.until), data.pending_feedback(window.since)),
            card("high_priority", "High priority pending", call("feedback", "high_priority_pending"), None),
        ],
        "charts": [
            time_chart(
                "by_category",
                "Submissions by category",
                window,
                by_category,
                "items",
                kind="bar",
                stacked=True,
                axis="submissions",
            ),
            time_chart(
                "by_status",
                "Submissions by current status",
                window,
                by_status,
                "items",
                kind="bar",
                stacked=True,
                axis="submissions",
            ),
        ],
    }


def _rows(items) -> list[list]:
    return [
        [
            {"text": f"#{f.pk}", "href": _admin_link(f)},
            {"text": f.priority, "badge": f.priority},
            f.get_category_display(),
            f.status,
            f.message[:120],
            f.created_at.strftime("%Y-%m-%d %H:%M"),
        ]
        for f in items
    ]


def _admin_link(item) -> str:
    try:
        return reverse("admin:feedback_feedback_change", args=[item.pk])
    except NoReverseMatch:
        return ""


COLUMNS = ["Item", "Priority", "Category", "Status", "Message", "Received (UTC)"]


def items(window: Window) -> dict:
    urgent = data.recent_feedback(window, 10, status="pending", priority="high")
    if urgent is None:
        return {"available": False}
    recent = data.recent_feedback(window, 15)
    return {
        "tables": [
            table("urgent", "Pending, high priority", COLUMNS, _rows(urgent), "Nothing urgent is waiting."),
            table("recent", "Recent feedback", COLUMNS, _rows(recent), "No feedback yet."),
        ]
    }
