"""Rules with group_by fire and resolve per tenant, model, user or API key; budgets; the 50-group cap."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from alerts import engine
from alerts.engine import evaluate_rule
from alerts.models import MAX_GROUPS, OVERFLOW_GROUP, Alert, AlertRule
from tests.alerts.test_catalog import ai_calls
from tests.alerts.test_delivery import send_pending

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)


def rule(**fields) -> AlertRule:
    defaults = {"name": "Errors per tenant", "metric": "ai_error_rate", "window_minutes": 5, "critical_threshold": 20}
    return AlertRule.objects.create(**{**defaults, **fields})


def open_groups(r: AlertRule) -> dict[str, str]:
    return dict(Alert.objects.open().filter(rule=r).values_list("group_key", "severity"))


def test_a_rule_grouped_by_tenant_pages_once_per_tenant_and_resolves_each_alone(receiver, make_channel):
    make_channel(receiver.url())
    errors = rule(group_by=["tenant"], repeat_interval_minutes=0)
    now = timezone.now()
    ai_calls(10, errors=5, tenant="acme", at=now - MINUTE)
    ai_calls(10, errors=4, tenant="globex", at=now - MINUTE)
    ai_calls(10, errors=0, tenant="initech", at=now - MINUTE)
    assert sorted(t.alert.group_key for t in engine.evaluate_all(now)) == ["tenant=acme", "tenant=globex"]
    assert engine.evaluate_all(now + MINUTE) == []  # still breaching: nothing new
    ai_calls(40, errors=0, tenant="globex", at=now + MINUTE)  # globex recovers: 4 of 50
    resolved = engine.evaluate_all(now + 2 * MINUTE)
    assert [(t.alert.group_key, t.reason) for t in resolved] == [("tenant=globex", "resolved")]
    assert open_groups(errors) == {"tenant=acme": "critical"}
    send_pending()
    events = sorted((b["alert"]["group"], b["event"]) for b in receiver.bodies())
    assert events == [("tenant=acme", "firing"), ("tenant=globex", "firing"), ("tenant=globex", "resolved")]


def test_group_by_two_keys_with_a_filter_and_user_and_api_key_filters_on_cost():
    now = timezone.now()
    ai_calls(3, model="gpt-4o", tenant="acme", user_id="u1", api_key="web", at=now - MINUTE)  # $0.03
    ai_calls(2, model="claude", tenant="acme", user_id="u2", api_key="batch", at=now - MINUTE)
    ai_calls(5, model="gpt-4o", tenant="globex", user_id="u1", api_key="web", at=now - MINUTE)
    by_model = rule(name="acme cost by model", metric="ai_cost_usd", critical_threshold=0.001, group_by=["model"])
    by_model.filters = {"tenant": "acme"}
    by_model.save()
    per_user = rule(name="u1 cost", metric="ai_cost_usd", filters={"user_id": "u1"}, critical_threshold=0.07)
    per_key = rule(name="cost per key", metric="ai_cost_usd", critical_threshold=0.001, group_by=["api_key", "tenant"])
    engine.evaluate_all(now)
    assert open_groups(by_model) == {"model=claude": "critical", "model=gpt-4o": "critical"}
    assert Alert.objects.get(rule=per_user).value == pytest.approx(0.08)
    assert set(open_groups(per_key)) == {
        "api_key=web, tenant=acme",
        "api_key=batch, tenant=acme",
        "api_key=web, tenant=globex",
    }


def test_the_ingest_api_records_which_key_sent_each_call(api_client):
    from ailogs.models import AiCall

    client = api_client("ailogs:write")
    event = {"function": "chat", "model": "gpt-4o", "duration_ms": 100, "prompt_tokens": 10, "completion_tokens": 5}
    assert client.post("/api/v1/ai-logs/", [event, event], format="json").status_code == 201
    assert list(AiCall.objects.values_list("api_key", flat=True)) == [client.key.name] * 2


def test_more_than_50_breaching_groups_keep_50_alerts_and_report_the_overflow_once(receiver, make_channel):
    make_channel(receiver.url())
    errors = rule(group_by=["user_id"], repeat_interval_minutes=0)
    now = timezone.now()
    for i in range(MAX_GROUPS + 10):
        ai_calls(2, errors=1 + (i % 2), tenant="acme", user_id=f"user{i:02}", at=now - MINUTE)
    transitions = engine.evaluate_all(now)
    assert len(open_groups(errors)) == MAX_GROUPS + 1  # 50 groups and the overflow report
    overflow = Alert.objects.get(rule=errors, group_key=OVERFLOW_GROUP)
    assert overflow.message == (
        "Errors per tenant: 60 groups breach at once; alerts are kept for 50, 10 more are not alerted individually"
    )
    # the worst first: every user at 100 % errors got an alert
    full = {f"user_id=user{i:02}" for i in range(1, MAX_GROUPS + 10, 2)}
    assert full <= set(open_groups(errors))
    assert len([t for t in transitions if t.reason == "fired"]) == MAX_GROUPS + 1
    assert [t.reason for t in engine.evaluate_all(now + MINUTE)] == []  # reported once
    Alert.objects.filter(group_key__startswith="user_id=").update(state="resolved")  # as if acknowledged away
    from ailogs.models import AiCall

    AiCall.objects.filter(user_id__gte="user10").delete()  # 10 users left: everything fits again
    assert "resolved" in [
        t.reason for t in engine.evaluate_all(now + 2 * MINUTE) if t.alert.group_key == OVERFLOW_GROUP
    ]
    send_pending()
    reports = [b["event"] for b in receiver.bodies() if b["alert"]["group"] == OVERFLOW_GROUP]
    assert reports == ["firing", "resolved"]


def test_a_monthly_budget_per_tenant_warns_at_80_percent_and_pages_at_100():
    budget = rule(
        name="Monthly budget",
        kind="budget",
        metric="ai_cost_usd",
        budget_period="month",
        budget_usd=1.0,
        warning_threshold=80,
        critical_threshold=100,
        group_by=["tenant"],
    )
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    ai_calls(50, tenant="acme", at=datetime(2026, 10, 31, 23, 0, tzinfo=UTC))  # last month: not counted
    ai_calls(85, tenant="acme", at=datetime(2026, 11, 2, tzinfo=UTC))  # $0.85
    ai_calls(30, tenant="globex", at=datetime(2026, 11, 19, tzinfo=UTC))
    evaluate_rule(budget, now)
    assert open_groups(budget) == {"tenant=acme": "warning"}
    assert Alert.objects.get(rule=budget).value == pytest.approx(85.0)
    ai_calls(20, tenant="acme", at=now - MINUTE)
    evaluate_rule(AlertRule.objects.get(pk=budget.pk), now + MINUTE)
    assert open_groups(budget) == {"tenant=acme": "critical"}


def test_a_daily_budget_starts_again_at_midnight_utc():
    budget = rule(
        name="Daily", kind="budget", metric="ai_cost_usd", budget_period="day", budget_usd=0.5, critical_threshold=100
    )
    ai_calls(60, at=datetime(2026, 11, 20, 23, 30, tzinfo=UTC))
    assert [t.reason for t in evaluate_rule(budget, datetime(2026, 11, 20, 23, 50, tzinfo=UTC))] == ["fired"]
    assert budget.since(datetime(2026, 11, 21, 0, 5, tzinfo=UTC)) == datetime(2026, 11, 21, tzinfo=UTC)
    reasons = [
        t.reason for t in evaluate_rule(AlertRule.objects.get(pk=budget.pk), datetime(2026, 11, 21, 0, 5, tzinfo=UTC))
    ]
    assert reasons == ["resolved"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"group_by": ["customer"]}, "group_by", "Cannot group by 'customer'"),
        ({"group_by": "tenant"}, "group_by", "Expected a list"),
        ({"metric": "failed_logins", "group_by": ["tenant"]}, "group_by", "Only AI rules"),
        ({"group_by": ["tenant"], "filters": {"tenant": "acme"}}, "group_by", "tenant is also a filter"),
        ({"kind": "budget", "budget_usd": 100}, "budget_period", "day or month"),
        (
            {"kind": "budget", "metric": "ai_cost_usd", "budget_period": "week", "budget_usd": 1},
            "budget_period",
            "not a valid choice",
        ),
        ({"kind": "budget", "metric": "ai_cost_usd", "budget_period": "day"}, "budget_usd", "more than 0"),
        ({"kind": "budget", "budget_period": "day", "budget_usd": 5}, "metric", "A budget rule watches ai_cost_usd"),
        ({"budget_usd": 5}, "budget_usd", "Only budget rules"),
        ({"filters": {"user_id": 7}}, "filters", "user_id must be a string"),
    ],
)
def test_the_api_refuses_bad_groups_and_budgets_naming_the_field(api_client, fields, field, message):
    body = {"name": "r", "metric": "ai_error_rate", "window_minutes": 5, "warning_threshold": 1, **fields}
    response = api_client("alerts:write").post("/api/v1/alert-rules/", body, format="json")
    assert response.status_code == 400
    assert message in str(response.json()), response.json()
    assert field in str(response.json())


def test_the_api_accepts_a_budget_rule_and_returns_its_fields(api_client):
    body = {
        "name": "Key budget",
        "kind": "budget",
        "metric": "ai_cost_usd",
        "budget_period": "month",
        "budget_usd": 250,
        "warning_threshold": 80,
        "critical_threshold": 100,
        "group_by": ["api_key"],
        "filters": {"tenant": "acme"},
    }
    response = api_client("alerts:write").post("/api/v1/alert-rules/", body, format="json")
    assert response.status_code == 201, response.json()
    got = response.json()
    assert (got["kind"], got["budget_period"], got["budget_usd"], got["group_by"]) == (
        "budget",
        "month",
        250.0,
        ["api_key"],
    )


def test_a_silence_on_one_tenant_mutes_that_group_only(receiver, make_channel):
    from alerts.models import AlertTransition, Silence

    make_channel(receiver.url())
    rule(group_by=["tenant"])
    Silence.objects.create(tags={"tenant": "acme"}, ends_at=timezone.now() + timedelta(hours=1))
    now = timezone.now()
    ai_calls(10, errors=5, tenant="acme", at=now - MINUTE)
    ai_calls(10, errors=5, tenant="globex", at=now - MINUTE)
    engine.evaluate_all(now)
    send_pending()
    assert [b["alert"]["group"] for b in receiver.bodies()] == ["tenant=globex"]
    assert AlertTransition.objects.get(alert__group_key="tenant=acme").silenced
