import statistics
from datetime import timedelta

import pytest

from metrics import queries, rollups, windows

URL = "/api/v1/metrics/summary/"


def independent(values):
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "count": len(values),
        "sum": sum(values),
        "min": min(values),
        "max": max(values),
        "avg": statistics.fmean(values),
        "p50": cuts[49],
        "p95": cuts[94],
        "p99": cuts[98],
    }


def test_it_computes_exact_percentiles_for_short_windows(samples, rng, now):
    values = [rng.lognormvariate(4, 1) for _ in range(2_000)]
    samples("latency_ms", values, now - timedelta(hours=1))
    samples("latency_ms", [1e9], now - timedelta(hours=3))  # outside the window
    samples("other_metric", [5.0], now - timedelta(minutes=5))
    result = queries.stats.summary("latency_ms", now - timedelta(hours=2), now)
    for key, expected in independent(values).items():
        assert result[key] == pytest.approx(expected, rel=1e-9), key


def test_it_filters_by_tags(samples, now):
    samples("queue_ms", [1, 2, 3], now - timedelta(minutes=30), tags={"queue": "a", "env": "prod"})
    samples("queue_ms", [100, 200], now - timedelta(minutes=30), tags={"queue": "b", "env": "prod"})
    assert queries.aggregate("queue_ms", now - timedelta(hours=1), now, "sum", {"queue": "a"}) == (6.0, 3)
    assert queries.aggregate("queue_ms", now - timedelta(hours=1), now, "max", {"env": "prod"}) == (200.0, 5)
    assert queries.aggregate("queue_ms", now - timedelta(hours=1), now, "count", {"env": "dev"}) == (0.0, 0)


def test_it_reads_long_windows_from_rollups_within_one_percent(samples, rng, now):
    start = windows.floor(now, "day") - timedelta(days=16)
    values = [rng.expovariate(1 / 250) for _ in range(16 * 24 * 30)]
    samples("api_ms", values, start, spacing=timedelta(minutes=2))
    done = rollups.run(now, hours=int((now - start).total_seconds() // 3600) + 1)
    assert done["days"] >= 15 and done["weeks"] >= 1
    result = queries.stats.summary("api_ms", start, now)
    expected = independent(values)
    assert result["count"] == expected["count"]
    assert result["sum"] == pytest.approx(expected["sum"], rel=1e-9)
    assert (result["min"], result["max"]) == (pytest.approx(expected["min"]), pytest.approx(expected["max"]))
    for key in ("p50", "p95", "p99"):
        assert result[key] == pytest.approx(expected[key], rel=0.02), key


def test_long_windows_still_count_samples_not_yet_rolled_up(samples, now):
    samples("late", [1, 2, 3], now - timedelta(days=2))
    assert queries.aggregate("late", now - timedelta(days=7), now, "count") == (3.0, 3)


def test_it_returns_the_last_value(samples, now):
    samples("gauge_x", [5, 7, 9], now - timedelta(minutes=10), spacing=timedelta(minutes=1))
    assert queries.aggregate("gauge_x", now - timedelta(hours=1), now, "last") == (9.0, 3)
    with pytest.raises(ValueError):
        queries.aggregate("gauge_x", now - timedelta(hours=1), now, "median")


def test_the_summary_endpoint_answers_with_tag_filters(api_client, samples, now):
    samples("jobs_ms", [10, 20, 30, 40], now - timedelta(minutes=20), tags={"queue": "a"})
    samples("jobs_ms", [1000], now - timedelta(minutes=20), tags={"queue": "b"})
    reader = api_client("metrics:read")
    body = reader.get(URL, {"name": "jobs_ms", "window": "1h", "tag.queue": "a"}).json()
    assert (body["count"], body["sum"], body["min"], body["max"], body["avg"], body["p50"]) == (
        4,
        100.0,
        10.0,
        40.0,
        25.0,
        25.0,
    )
    empty = reader.get(URL, {"name": "nothing"}).json()
    assert empty["count"] == 0 and empty["p95"] is None


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"name": "1x"},
        {"name": "ok", "window": "5y"},
        {"name": "ok", "window": "0h"},
        {"name": "ok", "tag.a__b": "1"},
    ],
)
def test_the_summary_endpoint_rejects_bad_queries(api_client, params):
    assert api_client("metrics:read").get(URL, params).status_code == 400
