"""Chart and table dicts in the shape dashboard.js draws (Chart.js line/bar, HTML tables)."""

from datetime import UTC, datetime

from dashboard.ranges import Window

# Units that count things: their axes get whole-number ticks.
COUNT_UNITS = {"calls", "items", "transitions", "notifications", "users", "sessions", "exports", "tasks", "tokens"}
LABEL_FORMATS = {"1h": "%H:%M", "24h": "%H:%M", "7d": "%a %H:00", "30d": "%b %d %H:00"}


def time_labels(window: Window) -> list[str]:
    fmt = LABEL_FORMATS[window.key]
    return [start.strftime(fmt) for start in window.bucket_starts()]


def align(window: Window, values: dict[datetime, float | None]) -> list[float | None]:
    """Values per bucket start, in chart order; buckets without data stay None (a gap)."""
    by_ts = {int(k.timestamp()): v for k, v in values.items()}
    return [by_ts.get(int(start.timestamp())) for start in window.bucket_starts()]


def time_chart(
    chart_id: str, title: str, window: Window, series: dict[str, dict], unit: str, kind: str = "line", **extra
) -> dict:
    """A chart over the window's buckets; `series` maps a label to {bucket start: value}."""
    data = [{"label": label, "data": align(window, values)} for label, values in series.items()]
    empty = all(v is None for s in data for v in s["data"])
    return {
        "id": chart_id,
        "title": title,
        "kind": kind,
        "unit": unit,
        "x_axis": "time (UTC)",
        "labels": time_labels(window),
        "series": data,
        "empty": empty,
        "integer": unit in COUNT_UNITS,
        "markers": [],  # deploy and other events, filled in by with_markers()
        **extra,
    }


def markers(window: Window, events: list[dict]) -> list[dict]:
    """Events as vertical lines on a time chart's label axis: `x` 0 is the first bucket's start,
    1 the second's, 2.5 half-way through the third bucket; only events inside the window."""
    starts = window.bucket_starts()
    if not starts:
        return []
    first, step = starts[0].timestamp(), window.bucket.total_seconds()
    fmt = "%Y-%m-%d %H:%M" if window.span.days else "%H:%M"
    return [
        {
            "x": round((e["timestamp"].timestamp() - first) / step, 4),
            "at": e["timestamp"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "time": e["timestamp"].astimezone(UTC).strftime(fmt),
            "kind": e["kind"],
            "title": e["title"],
            "version": e["version"],
        }
        for e in events
        if window.since <= e["timestamp"] < window.until
    ]


def category_chart(
    chart_id: str, title: str, labels: list[str], series: dict[str, list], unit: str, kind: str = "bar", **extra
) -> dict:
    """A chart with one bar (or point) per label; every label is shown, none skipped."""
    data = [{"label": label, "data": values} for label, values in series.items()]
    return {
        "id": chart_id,
        "title": title,
        "kind": kind,
        "unit": unit,
        "labels": labels,
        "series": data,
        "empty": not labels,
        "integer": unit in COUNT_UNITS,
        "categories": True,
        **extra,
    }


def table(
    table_id: str, title: str, columns: list[str], rows: list[list], empty: str = "No data in this range", **extra
) -> dict:
    return {"id": table_id, "title": title, "columns": columns, "rows": rows, "empty": empty, **extra}
