import random
import statistics
from datetime import timedelta

import pytest
from django.utils import timezone

from ailogs import queries, rollup
from ailogs.models import AiCall, AiCallHourly

pytestmark = pytest.mark.django_db


def independent_percentiles(values):
    """percentile_cont's definition, via the standard library (inclusive = linear interpolation)."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def make_calls(specs):
    AiCall.objects.bulk_create(
        [AiCall(**{"function": "f", "model": "m", "duration_ms": 1.0, **spec}) for spec in specs]
    )


def spread(now, n, hours, rng, **fields):
    """n calls with log-normal durations spread over the last `hours` hours."""
    return [
        {
            "timestamp": now - timedelta(seconds=rng.uniform(0, hours * 3600)),
            "duration_ms": rng.lognormvariate(5, 0.8),
            **fields,
        }
        for _ in range(n)
    ]


def test_short_windows_are_exact():
    rng = random.Random(1)
    now = timezone.now()
    specs = spread(
        now, 400, 1, rng, prompt_tokens=10, completion_tokens=5, total_tokens=15, cost_usd=0.001, cost_source="computed"
    )
    specs += [
        {"timestamp": now - timedelta(minutes=5), "status": "error", "duration_ms": 9000.0, "cost_source": "unpriced"}
    ] * 20
    make_calls(specs)
    stats = queries.window_stats(now - timedelta(hours=1, minutes=1), now + timedelta(seconds=1))
    durations = [s["duration_ms"] for s in specs]
    p50, p95, p99 = independent_percentiles(durations)
    assert stats["count"] == 420
    assert stats["errors"] == 20
    assert stats["error_rate"] == pytest.approx(100 * 20 / 420, abs=1e-3)
    assert stats["duration_ms"]["p50"] == pytest.approx(p50, abs=1e-3)
    assert stats["duration_ms"]["p95"] == pytest.approx(p95, abs=1e-3)
    assert stats["duration_ms"]["p99"] == pytest.approx(p99, abs=1e-3)
    assert stats["duration_ms"]["avg"] == pytest.approx(sum(durations) / 420, abs=1e-3)
    assert (stats["prompt_tokens"], stats["total_tokens"], stats["unpriced"]) == (4000, 6000, 20)
    assert stats["cost_usd"] == pytest.approx(0.4)


def test_long_windows_merge_rollups_within_two_percent():
    rng = random.Random(2)
    now = timezone.now()
    specs = spread(now, 3000, 30, rng, model="a") + spread(now, 1000, 30, rng, model="b", status="timeout")
    make_calls(specs)
    assert rollup.run()["hours"] >= 30
    since = now - timedelta(hours=24)
    inside = [s for s in specs if since <= s["timestamp"] < now]
    stats = queries.window_stats(since, now)
    assert stats["count"] == len(inside)
    assert stats["errors"] == sum(s["model"] == "b" for s in inside)
    for got, want in zip(
        (stats["duration_ms"][k] for k in ("p50", "p95", "p99")),
        independent_percentiles([s["duration_ms"] for s in inside]),
        strict=True,
    ):
        assert got == pytest.approx(want, rel=0.02)
    per_model = queries.grouped_stats(since, now, "model")
    assert list(per_model) == ["a", "b"]
    b = [s["duration_ms"] for s in inside if s["model"] == "b"]
    assert per_model["b"]["count"] == len(b)
    assert per_model["b"]["duration_ms"]["p95"] == pytest.approx(independent_percentiles(b)[1], rel=0.02)
    assert queries.window_stats(since, now, {"model": "b", "status": "timeout"})["count"] == len(b)
    assert queries.window_stats(since, now, {"model": "b", "function": "f"})["count"] == len(b)  # full grain
    whole, groups = queries.stats_with_groups(since, now, "model")
    assert groups == per_model
    assert whole["count"] == stats["count"] and whole["duration_ms"]["p95"] == pytest.approx(
        stats["duration_ms"]["p95"], rel=1e-9
    )


def test_rollup_is_idempotent_and_picks_up_late_events():
    now = timezone.now()
    old_hour = rollup.floor_hour(now - timedelta(hours=10))
    make_calls([{"timestamp": old_hour + timedelta(minutes=m), "duration_ms": 10.0 + m} for m in range(10)])
    rollup.run()
    first = list(AiCallHourly.objects.order_by("grain", "hour").values_list("grain", "hour", "count", "duration_sum"))
    rollup.run()
    assert (
        list(AiCallHourly.objects.order_by("grain", "hour").values_list("grain", "hour", "count", "duration_sum"))
        == first
    )
    make_calls([{"timestamp": old_hour + timedelta(minutes=30), "duration_ms": 1.0}])
    assert rollup.run()["hours"] == 1
    assert AiCallHourly.objects.get(hour=old_hour, grain="all").count == 11


def test_stats_endpoint_shape(api_client):
    now = timezone.now()
    make_calls(
        [
            {"timestamp": now - timedelta(minutes=1), "model": model, "duration_ms": 100.0, "status": status}
            for model, status in [("x", "success"), ("x", "error"), ("y", "success")]
        ]
    )
    body = api_client("ailogs:read").get("/api/v1/ai-logs/stats/", {"window": "1h", "group_by": "model"}).json()
    assert (body["count"], body["errors"], body["window"]) == (3, 1, "1h")
    assert set(body["duration_ms"]) == {"avg", "p50", "p95", "p99"}
    assert [(g["model"], g["count"], g["error_rate"]) for g in body["groups"]] == [("x", 2, 50.0), ("y", 1, 0.0)]
    for key in ("prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "unpriced"):
        assert key in body


@pytest.mark.parametrize("params", [{"window": "2h"}, {"group_by": "colour"}])
def test_stats_endpoint_rejects_bad_parameters(api_client, params):
    response = api_client("ailogs:read").get("/api/v1/ai-logs/stats/", params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)


def test_list_filters_and_paginates(api_client):
    now = timezone.now()
    make_calls([{"timestamp": now - timedelta(minutes=i), "function": "a" if i % 2 else "b"} for i in range(30)])
    client = api_client("ailogs:read")
    page = client.get("/api/v1/ai-logs/", {"function": "a", "page_size": 10}).json()
    assert len(page["results"]) == 10 and all(r["function"] == "a" for r in page["results"])
    stamps = [r["timestamp"] for r in page["results"]]
    assert stamps == sorted(stamps, reverse=True)
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 5 and rest["next"] is None
    since = (now - timedelta(minutes=4, seconds=30)).isoformat()
    assert len(client.get("/api/v1/ai-logs/", {"since": since}).json()["results"]) == 5
    assert client.get("/api/v1/ai-logs/", {"since": "soon"}).status_code == 400


def test_dashboard_series_and_helpers():
    now = timezone.now()
    make_calls(
        [
            {
                "timestamp": now - timedelta(minutes=10),
                "status": "error",
                "error_message": "rate limited",
                "input_hash": "a" * 64,
                "session_id": "s1",
                "actor_type": "user",
                "cost_usd": 1.0,
            },
            {
                "timestamp": now - timedelta(minutes=9),
                "status": "error",
                "error_message": "rate limited",
                "input_hash": "a" * 64,
                "session_id": "s2",
                "actor_type": "agent",
                "cost_usd": 2.0,
            },
            {
                "timestamp": now - timedelta(minutes=8),
                "status": "success",
                "input_hash": "b" * 64,
                "session_id": "s1",
                "actor_type": "agent",
            },
        ]
    )
    since, until = now - timedelta(hours=1), now
    assert queries.active_sessions(since, until) == 2
    assert queries.top_errors(since, until)[0]["count"] == 2
    assert queries.repeated_input_share(since, until) == {
        "hashed": 3,
        "repeated": 1,
        "share": pytest.approx(33.3333),
        "approximate": False,
    }
    assert queries.cost_by_actor_type(since, until) == {"user": 1.0, "agent": 2.0}
    assert queries.success_rate_by_function(since, until) == {"f": pytest.approx(33.3333)}
    series = queries.hourly_series(now - timedelta(hours=3), until, group_by="model")
    assert sum(point["count"] for point in series) == 3


def test_empty_windows_have_no_percentiles():
    now = timezone.now()
    stats = queries.window_stats(now - timedelta(days=7), now)
    assert stats["count"] == 0 and stats["duration_ms"]["p95"] is None and stats["error_rate"] == 0.0


def test_stats_since_and_until_narrow_the_window_and_are_reported(api_client):
    now = timezone.now()
    make_calls([{"timestamp": now - timedelta(minutes=m)} for m in (5, 15, 25, 50)])
    client = api_client("ailogs:read")
    since, until = now - timedelta(minutes=30), now - timedelta(minutes=10)
    body = client.get(
        "/api/v1/ai-logs/stats/", {"window": "1h", "since": since.isoformat(), "until": until.isoformat()}
    )
    assert body.status_code == 200
    body = body.json()
    assert body["count"] == 2
    assert (body["since"], body["until"]) == (
        since.isoformat().replace("+00:00", "Z"),
        until.isoformat().replace("+00:00", "Z"),
    )
    # since before the window start and until after now change nothing: the window bounds them
    wide = client.get(
        "/api/v1/ai-logs/stats/",
        {
            "window": "1h",
            "since": (now - timedelta(days=3)).isoformat(),
            "until": (now + timedelta(days=1)).isoformat(),
        },
    ).json()
    assert wide["count"] == 4
    assert (
        wide["since"] > (now - timedelta(hours=1, minutes=1)).isoformat()
        and wide["until"] < (now + timedelta(minutes=1)).isoformat()
    )


@pytest.mark.parametrize(
    "params",
    [
        {"since": "bad"},
        {"until": "tomorrow"},
        {"status": "bogus"},
        {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
    ],
)
def test_stats_and_list_reject_bad_filters_with_field_errors(api_client, params):
    client = api_client("ailogs:read")
    for url in ("/api/v1/ai-logs/stats/", "/api/v1/ai-logs/"):
        response = client.get(url, params)
        assert response.status_code == 400, url
        assert set(response.json()) <= set(params) and response.json(), url


def test_bad_status_error_lists_the_choices(api_client):
    response = api_client("ailogs:read").get("/api/v1/ai-logs/", {"status": "bogus"})
    assert response.json() == {"status": ['"bogus" is not a valid choice. Choose one of success, error, timeout.']}


def test_rows_stored_before_the_bounds_cannot_break_stats_or_rollups(api_client):
    """Two 1.7e308 durations / costs (stored before ingest bounded them) overflowed SUM(): 500s."""
    now = timezone.now()
    make_calls(
        [{"timestamp": now - timedelta(minutes=m), "duration_ms": 1.7e308, "cost_usd": 1.7e308} for m in (1, 2)]
        + [{"timestamp": now - timedelta(hours=3, minutes=m), "duration_ms": 1.7e308, "cost_usd": None} for m in (1, 2)]
    )
    assert rollup.run()["hours"] >= 1
    client = api_client("ailogs:read")
    for window in ("1h", "24h"):
        response = client.get("/api/v1/ai-logs/stats/", {"window": window})
        assert response.status_code == 200, window
    body = response.json()
    assert body["count"] == 4
    assert body["cost_usd"] == 2_000_000  # capped at 1e6 each; the unpriced calls add nothing
    assert body["duration_ms"]["avg"] == 86_400_000
