"""The System tab: this site's requests, hosts' CPU/memory/disk, queues and the database."""

from dashboard import data
from dashboard.charts import table, time_chart
from dashboard.formatting import card, number
from dashboard.ranges import Window
from dashboard.sources import call

HOST_METRICS = {
    "CPU": "system_cpu_percent",
    "memory used": "system_memory_used_percent",
    "disk free": "system_disk_free_percent",
}


def requests(window: Window) -> dict:
    series = data.http_series(window)
    if series is None:
        return {"available": False}
    column = lambda field: {bucket: point[field] for bucket, point in series.items()}  # noqa: E731
    return {
        "charts": [
            time_chart(
                "request_rate",
                "Request rate",
                window,
                {"requests": column("per_minute")},
                "req/min",
                axis="requests per minute",
            ),
            time_chart(
                "error_rates",
                "4xx and 5xx rates",
                window,
                {"4xx": column("4xx"), "5xx": column("5xx")},
                "%",
                axis="share of requests (%)",
            ),
        ]
    }


def routes(window: Window) -> dict:
    rows = data.route_summaries(window)
    if rows is None:
        return {"available": False}
    cells = [
        [
            r["route"],
            number(r["requests"]),
            number(r["p50_ms"], "ms"),
            number(r["p95_ms"], "ms"),
            number(r["p99_ms"], "ms"),
            number(r["errors_4xx"]),
            number(r["errors_5xx"]),
        ]
        for r in rows[:25]
    ]
    columns = ["Route", "Requests", "p50", "p95", "p99", "4xx", "5xx"]
    return {"tables": [table("routes", "Response time per route", columns, cells)]}


def hosts(window: Window) -> dict:
    series = {label: data.metric_series(name, window) for label, name in HOST_METRICS.items()}
    if any(s is None for s in series.values()):
        return {"available": False}
    return {"charts": [time_chart("host", "CPU, memory used, disk free", window, series, "%", axis="percent")]}


def queues(window: Window) -> dict:
    depth = data.metric_series("celery_queue_depth", window)
    if depth is None:
        return {"available": False}
    cards = [_processing_card(q, window) for q in ("p50", "p95", "p99")]
    cards.append(_metric_card("db_roundtrip", "DB round-trip avg", "db_roundtrip_ms", "avg", window, "ms"))
    cards.append(_metric_card("db_failures", "DB connection failures", "db_connection_failures", "sum", window))
    charts = [
        time_chart(
            "queue_depth", "Queue depth (all queues)", window, {"queued tasks": depth}, "tasks", axis="tasks waiting"
        ),
        time_chart(
            "db_roundtrip",
            "DB round-trip time",
            window,
            {"round trip": data.metric_series("db_roundtrip_ms", window)},
            "ms",
            axis="round trip (ms)",
        ),
    ]
    return {"cards": cards, "charts": charts}


def _processing_card(quantile: str, window: Window) -> dict:
    return _metric_card(
        f"task_{quantile}", f"Task time {quantile}", "celery_task_duration_seconds", quantile, window, "s"
    )


def _metric_card(key: str, label: str, name: str, aggregation: str, window: Window, unit: str = "") -> dict:
    now = call("metrics", "aggregate", name, window.since, window.until, aggregation)
    before = call("metrics", "aggregate", name, window.previous.since, window.previous.until, aggregation)
    return card(key, label, (now or (None,))[0], (before or (None,))[0], unit)
