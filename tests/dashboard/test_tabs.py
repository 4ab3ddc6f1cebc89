"""Each tab's figures against the rows the test inserted."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.dashboard.factories import (
    insert_ai_calls,
    insert_alert_activity,
    insert_feedback,
    insert_requests,
    insert_samples,
    needs,
)

pytestmark = pytest.mark.django_db


def sections(client, tab: str, **params) -> dict[str, dict]:
    response = client.get(reverse("admin:dashboard-data", kwargs={"tab": tab}), params)
    assert response.status_code == 200
    return {s["key"]: s for s in response.json()["sections"]}


def chart(section: dict, chart_id: str) -> dict:
    return next(c for c in section["charts"] if c["id"] == chart_id)


def total(chart_spec: dict, label: str) -> float:
    series = next(s for s in chart_spec["series"] if s["label"] == label)
    return sum(v for v in series["data"] if v is not None)


@needs("ailogs", "AiCall")
def test_it_shows_top_errors_and_success_by_function(client_for, alice):
    calls = insert_ai_calls(n=40, minutes_ago=50)
    shown = sections(client_for(alice), "ai", range="1h")
    errors = [c for c in calls if c["status"] != "success"]
    (top,) = shown["ai_errors"]["tables"]
    assert sum(int(row[3]) for row in top["rows"]) == len(errors)
    success = chart(shown["ai_breakdowns"], "success_by_function")
    for function, rate in zip(success["labels"], success["series"][0]["data"], strict=True):
        mine = [c for c in calls if c["function"] == function]
        assert rate == pytest.approx(100 * sum(c["status"] == "success" for c in mine) / len(mine))
    assert total(chart(shown["ai_time"], "calls"), "calls") == 40


@needs("ailogs", "AiCall")
def test_a_tenant_filtered_ai_tab_shows_only_that_tenants_errors_and_costs(client_for, alice):
    calls = insert_ai_calls(n=30, minutes_ago=50, seed=3, tenant="acme", error_message="acme quota exceeded")
    calls += insert_ai_calls(n=30, minutes_ago=50, seed=4, tenant="globex", error_message="globex key revoked")
    for tenant, mine, other in (("acme", "acme quota", "globex"), ("globex", "globex key", "acme")):
        shown = sections(client_for(alice), "ai", range="1h", tenant=tenant)
        (top,) = shown["ai_errors"]["tables"]
        messages = [row[0]["text"] for row in top["rows"]]
        assert messages and all(m.startswith(mine) for m in messages), messages
        assert not any(other in m for m in messages)
        by_actor = chart(shown["ai_breakdowns"], "cost_by_actor")
        cost = sum(c["cost_usd"] for c in calls if c["tenant"] == tenant)
        assert total(by_actor, "cost") == pytest.approx(cost)


@needs("metrics", "RequestMinute")
def test_it_shows_request_rates_and_routes(client_for, alice):
    rows = insert_requests(minutes=30)
    insert_samples(minutes=30)
    shown = sections(client_for(alice), "system", range="1h")
    (routes,) = shown["sys_routes"]["tables"]
    by_route = {row[0]: row for row in routes["rows"]}
    assert by_route["admin/"][1] == str(sum(r["count"] for r in rows if r["route"] == "admin/"))
    assert by_route["admin/"][6] == str(sum(r["count"] for r in rows if r["status_class"] == "5xx"))
    rate = chart(shown["sys_requests"], "request_rate")
    # one-minute buckets: each holds one minute's requests
    assert max(v for v in rate["series"][0]["data"] if v is not None) == 15
    host = chart(shown["sys_hosts"], "host")
    assert {s["label"] for s in host["series"]} == {"CPU", "memory used", "disk free"}
    assert not host["empty"]


@needs("feedback", "Feedback")
def test_it_shows_feedback_volume_by_category(client_for, mo):
    plan = insert_feedback()
    shown = sections(client_for(mo), "feedback", range="24h")
    by_category = chart(shown["fb_volume"], "by_category")
    assert {s["label"]: total(by_category, s["label"]) for s in by_category["series"]} == plan
    urgent, recent = shown["fb_items"]["tables"]
    assert len(urgent["rows"]) == 3
    assert urgent["rows"][0][0]["href"].startswith("/admin/feedback/feedback/")


@needs("alerts", "NotificationDelivery")
def test_it_shows_firing_alerts_transitions_and_deliveries(client_for, mo):
    plan = insert_alert_activity()
    shown = sections(client_for(mo), "alerts", range="1h")
    (firing,) = shown["al_summary"]["tables"]
    assert [row[1]["text"] for row in firing["rows"]] == ["AI error rate above 5 %"]
    deliveries = chart(shown["al_deliveries"], "deliveries")
    for status in ("sent", "failed"):
        counts = dict(
            zip(
                deliveries["labels"], next(s["data"] for s in deliveries["series"] if s["label"] == status), strict=True
            )
        )
        assert counts == {name: statuses.get(status, 0) for name, statuses in plan.items()}
    assert total(chart(shown["al_timeline"], "transitions"), "fired") == 1


@needs("ailogs", "AiCall")
def test_it_draws_the_weekday_hour_heatmap(client_for, alice):
    now = timezone.now()
    calls = insert_ai_calls(n=12, minutes_ago=1, at=now)
    (heatmap,) = sections(client_for(alice), "usage", range="7d")["use_heatmap"]["tables"]
    counts = {}
    for c in calls:
        counts[(c["timestamp"].weekday(), c["timestamp"].hour)] = (
            counts.get((c["timestamp"].weekday(), c["timestamp"].hour), 0) + 1
        )
    for (day, hour), n in counts.items():
        cell = heatmap["rows"][day][hour + 1]
        assert cell["title"].endswith(f": {n} calls")
    assert max(cell["heat"] for row in heatmap["rows"] for cell in row[1:]) == 1


@needs("ailogs", "AiCallHourly")
def test_it_adds_rollups_and_raw_rows_for_long_ranges(client_for, alice):
    from ailogs import rollup

    old = insert_ai_calls(n=30, minutes_ago=120, at=timezone.now() - timedelta(days=3))
    rollup.run()
    # After the rollup, in the hour it has not closed yet: these are read from the raw rows.
    now = timezone.now()
    into_hour = (now - now.replace(minute=0, second=0, microsecond=0)).total_seconds() / 60
    recent = insert_ai_calls(n=10, minutes_ago=into_hour, seed=5, at=now)
    calls = old + recent
    shown = sections(client_for(alice), "ai", range="7d")
    cards = {c["key"]: c["value"] for c in shown["ai_quality"]["cards"]}
    assert cards["calls"] == 40
    assert cards["errors"] == sum(c["status"] != "success" for c in calls)
    tokens = chart(shown["ai_breakdowns"], "tokens_by_model")
    by_model = dict(zip(tokens["labels"], tokens["series"][0]["data"], strict=True))
    assert by_model == {
        m: sum(c["total_tokens"] for c in calls if c["model"] == m) for m in {c["model"] for c in calls}
    }
    (heatmap,) = sections(client_for(alice), "usage", range="7d")["use_heatmap"]["tables"]
    assert sum(int(cell["title"].rsplit(": ", 1)[1].split()[0]) for row in heatmap["rows"] for cell in row[1:]) == 40


@needs("ailogs", "AiCallHourly")
def test_it_counts_every_hour_of_a_six_hour_bucket_over_30_days(client_for, alice):
    from ailogs import rollup

    # 60 calls spread over five hours of one 6-hour chart bucket, two days ago, rolled up
    bucket = timezone.now().replace(hour=6, minute=0, second=0, microsecond=0) - timedelta(days=2)
    calls = insert_ai_calls(n=60, minutes_ago=300, at=bucket + timedelta(hours=5, minutes=30))
    rollup.run()
    shown = sections(client_for(alice), "ai", range="30d")
    assert total(chart(shown["ai_time"], "calls"), "calls") == len(calls)
    assert total(chart(shown["ai_time"], "cost"), "cost") == pytest.approx(sum(c["cost_usd"] for c in calls))
    cards = {c["key"]: c for c in shown["ai_quality"]["cards"]}
    assert cards["calls"]["value"] == 60
    assert "approx." in cards["repeated_inputs"]["label"]  # whole days of a 30-day window come from sketches
