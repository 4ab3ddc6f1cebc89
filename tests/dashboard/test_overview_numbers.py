"""The overview's numbers against values computed here from the rows the test inserted."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.dashboard.factories import insert_ai_calls, needs

pytestmark = pytest.mark.django_db


def interpolated(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def cards(client, **params) -> dict[str, dict]:
    sections = client.get(reverse("admin:dashboard-data", kwargs={"tab": "overview"}), params).json()["sections"]
    return {c["key"]: c for s in sections for c in s.get("cards", [])}


@needs("ailogs", "AiCall")
def test_it_shows_ai_kpis_of_the_calls_in_the_range(client_for, alice):
    calls = insert_ai_calls(n=40, minutes_ago=50)
    durations = [c["duration_ms"] for c in calls]
    shown = cards(client_for(alice), range="1h")
    assert shown["ai_latency_avg"]["value"] == pytest.approx(sum(durations) / 40, abs=1e-3)
    assert shown["ai_latency_p95"]["value"] == pytest.approx(interpolated(durations, 0.95), abs=1e-3)
    assert shown["ai_error_rate"]["value"] == pytest.approx(100 * sum(c["status"] != "success" for c in calls) / 40)
    assert shown["ai_tokens"]["value"] == sum(c["total_tokens"] for c in calls)
    assert shown["ai_cost"]["value"] == pytest.approx(sum(c["cost_usd"] for c in calls))
    assert shown["active_sessions"]["value"] == len({c["session_id"] for c in calls})


@needs("ailogs", "AiCall")
def test_it_compares_with_the_previous_period(client_for, alice):
    insert_ai_calls(n=10, minutes_ago=50, duration_ms=200.0)
    earlier = timezone.now() - timedelta(minutes=90)
    insert_ai_calls(n=10, minutes_ago=5, duration_ms=100.0, at=earlier, seed=3)
    card = cards(client_for(alice), range="1h")["ai_latency_avg"]
    assert card["change"] == pytest.approx(100.0)  # 200 ms against 100 ms: +100 %
    assert card["change_display"] == "+100.0 %"
    assert card["trend"] == "bad"


@needs("ailogs", "AiCall")
def test_it_filters_ai_figures_by_tenant(client_for, alice):
    calls = insert_ai_calls(n=30, minutes_ago=50)
    acme = [c for c in calls if c["tenant"] == "acme"]
    shown = cards(client_for(alice), range="1h", tenant="acme")
    assert shown["ai_tokens"]["value"] == sum(c["total_tokens"] for c in acme)
    assert shown["active_sessions"]["value"] == len({c["session_id"] for c in acme})
    assert len({c["session_id"] for c in acme}) != len({c["session_id"] for c in calls})


@needs("ailogs", "AiCall")
def test_it_prints_the_numbers_on_the_page(client_for, alice):
    calls = insert_ai_calls(n=20, minutes_ago=50)
    html = client_for(alice).get("/admin/", {"range": "1h"}).content.decode()
    tokens = sum(c["total_tokens"] for c in calls)
    assert f'<div class="dash-card-value" data-value>{tokens:,}</div>' in html


@needs("feedback", "Feedback")
def test_it_counts_pending_feedback_but_not_spam(client_for, mo):
    from feedback.models import Feedback

    for status in ["pending", "pending", "pending", "spam", "resolved"]:
        Feedback.objects.create(message=f"it broke ({status})", status=status, priority="high")
    shown = cards(client_for(mo), range="24h")
    assert shown["pending_feedback"]["value"] == 3
    assert shown["high_priority"]["value"] == 3


@needs("alerts", "Alert")
def test_it_counts_open_alerts_and_the_mttr_of_critical_ones(client_for, alice):
    from alerts.models import Alert, AlertRule

    now = timezone.now()
    rules = [AlertRule.objects.create(name=f"rule {i}", metric="ai_error_rate", warning_threshold=1) for i in range(5)]
    Alert.objects.create(rule=rules[0], severity="critical", state="firing", fired_at=now - timedelta(minutes=20))
    Alert.objects.create(rule=rules[1], severity="warning", state="firing", fired_at=now - timedelta(minutes=5))
    for rule, minutes in zip(rules[2:], (4, 6, 11), strict=True):
        fired = now - timedelta(minutes=40)
        Alert.objects.create(
            rule=rule,
            severity="critical",
            state="resolved",
            fired_at=fired,
            resolved_at=fired + timedelta(minutes=minutes),
        )
    shown = cards(client_for(alice), range="1h")
    assert shown["open_alerts"]["value"] == 2
    assert shown["open_alerts"]["previous_display"] == "0"  # nothing had fired an hour ago
    assert shown["mttr"]["value"] == pytest.approx((4 + 6 + 11) / 3, abs=0.01)
