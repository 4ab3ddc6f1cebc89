"""The Alerts tab (and the overview's alert panel): firing now, transitions, deliveries, MTTR."""

from django.urls import NoReverseMatch, reverse

from dashboard import data
from dashboard.charts import category_chart, table, time_chart
from dashboard.formatting import card, number
from dashboard.ranges import Window


def _link(name: str, pk) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


def firing_table(alerts: list | None) -> dict:
    rows = [
        [
            {"text": a.severity, "badge": a.severity},
            {"text": a.rule.name, "href": _link("admin:alerts_alert_change", a.pk)},
            a.fired_at.strftime("%Y-%m-%d %H:%M"),
            f"{number(a.value)} (threshold {number(a.threshold)})",
            "yes" if a.acknowledged_at else "no",
        ]
        for a in alerts or []
    ]
    empty = "Nothing is firing." if alerts is not None else "Alerts are not available yet."
    return table(
        "firing", "Firing now", ["Severity", "Rule", "Firing since (UTC)", "Value", "Acknowledged"], rows, empty
    )


def summary(window: Window) -> dict:
    firing = data.firing_alerts()
    cards = [
        card("open_alerts", "Open alerts", data.open_alerts(window.until), data.open_alerts(window.since)),
        card(
            "mttr",
            "MTTR, critical",
            data.mttr_minutes(window.since, window.until),
            data.mttr_minutes(window.previous.since, window.previous.until),
            "min",
        ),
    ]
    return {"cards": cards, "tables": [firing_table(firing)], "available": firing is not None}


def timeline(window: Window) -> dict:
    series = data.transition_series(window)
    if series is None:
        return {"available": False}
    rows = [
        [
            t.at.strftime("%Y-%m-%d %H:%M:%S"),
            {"text": t.alert.rule.name, "href": _link("admin:alerts_alert_change", t.alert_id)},
            {"text": t.severity, "badge": t.severity},
            f"{t.from_state} → {t.to_state}",
            t.reason,
            number(t.value),
        ]
        for t in data.recent_transitions(window)
    ]
    return {
        "charts": [
            time_chart(
                "transitions",
                "Transitions",
                window,
                series,
                "transitions",
                kind="bar",
                stacked=True,
                axis="transitions",
            )
        ],
        "tables": [
            table(
                "transitions",
                "Latest transitions",
                ["At (UTC)", "Rule", "Severity", "Change", "Reason", "Value"],
                rows,
                "No transitions in this range.",
            )
        ],
    }


def deliveries(window: Window) -> dict:
    by_channel = data.deliveries_by_channel(window)
    if by_channel is None:
        return {"available": False}
    names = sorted(by_channel)
    series = {status: [by_channel[n].get(status, 0) for n in names] for status in ("sent", "failed", "pending")}
    return {
        "charts": [
            category_chart(
                "deliveries",
                "Notifications per channel",
                names,
                series,
                "notifications",
                stacked=True,
                axis="notifications",
            )
        ]
    }
