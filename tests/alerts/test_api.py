import pytest
from django.utils import timezone

from alerts.models import Alert, AlertRule, NotificationChannel

pytestmark = pytest.mark.django_db
RULE = {
    "name": "AI errors",
    "metric": "ai_error_rate",
    "window_minutes": 60,
    "comparator": "gt",
    "warning_threshold": 1,
    "critical_threshold": 5,
}


def test_it_creates_lists_updates_and_deletes_rules_with_alerts_write(api_client):
    client = api_client("alerts:write")
    created = client.post("/api/v1/alert-rules/", RULE, format="json")
    assert created.status_code == 201, created.json()
    rule_id = created.json()["id"]
    assert client.get("/api/v1/alert-rules/").json()[0]["name"] == "AI errors"
    assert client.patch(f"/api/v1/alert-rules/{rule_id}/", {"for_minutes": 5}, format="json").json()["for_minutes"] == 5
    assert client.delete(f"/api/v1/alert-rules/{rule_id}/").status_code == 204


def test_rules_need_the_write_scope(api_client):
    assert api_client("alerts:read").get("/api/v1/alert-rules/").status_code == 403
    assert api_client("alerts:read").post("/api/v1/notification-channels/", {}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"metric": "nonsense"}, "metric"),
        ({"aggregation": "median"}, "aggregation"),
        ({"warning_threshold": None, "critical_threshold": None}, "warning_threshold"),
        ({"comparator": "eq"}, "comparator"),
        ({"filters": {"tags": {"queue": 1}}}, "filters"),
    ],
)
def test_a_bad_rule_is_a_400_naming_the_field(api_client, change, field):
    response = api_client("alerts:write").post("/api/v1/alert-rules/", {**RULE, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_metric_rules_accept_ingested_metric_names(api_client):
    body = {**RULE, "metric": "metric:checkout_latency_ms", "aggregation": "p95", "filters": {"tags": {"region": "eu"}}}
    assert api_client("alerts:write").post("/api/v1/alert-rules/", body, format="json").status_code == 201


def test_channels_mask_their_target_and_keep_it_when_sent_back_masked(api_client, settings):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORKS = True
    client = api_client("alerts:write")
    body = {"name": "ops", "kind": "webhook", "target": "http://127.0.0.1:8499/secret-token", "secret": "s3cret"}
    created = client.post("/api/v1/notification-channels/", body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert "secret-token" not in str(data) and "s3cret" not in str(data)
    assert data["has_secret"] is True
    updated = client.put(f"/api/v1/notification-channels/{data['id']}/", {**data, "name": "ops2"}, format="json")
    assert updated.status_code == 200, updated.json()
    assert NotificationChannel.objects.get().target == "http://127.0.0.1:8499/secret-token"


@pytest.mark.parametrize(
    ("kind", "target"),
    [("email", "not-an-address"), ("pagerduty", "short"), ("slack", "ftp://hooks.slack.com/x"), ("webhook", "")],
)
def test_a_bad_channel_target_is_a_400(api_client, kind, target):
    response = api_client("alerts:write").post(
        "/api/v1/notification-channels/", {"name": "x", "kind": kind, "target": target}, format="json"
    )
    assert response.status_code == 400
    assert "target" in response.json()


def test_a_pagerduty_channel_pages_only_for_critical_by_default(api_client):
    body = {"name": "pd", "kind": "pagerduty", "target": "a" * 32}
    assert (
        api_client("alerts:write").post("/api/v1/notification-channels/", body, format="json").json()["min_severity"]
        == "critical"
    )


def _alert(state="firing"):
    rule = AlertRule.objects.create(name="r", metric="failed_logins", warning_threshold=5)
    return Alert.objects.create(
        rule=rule, severity="warning", state=state, value=6, threshold=5, fired_at=timezone.now()
    )


def test_alerts_list_with_read_scope_and_filters(api_client):
    _alert()
    client = api_client("alerts:read")
    body = client.get("/api/v1/alerts/?state=firing").json()["results"]
    assert body[0]["rule_name"] == "r" and body[0]["state"] == "firing"
    assert client.get("/api/v1/alerts/?state=resolved").json()["results"] == []
    assert api_client("alerts:write").get("/api/v1/alerts/").status_code == 403


def test_ack_with_write_scope(api_client):
    alert = _alert()
    response = api_client("alerts:write").post(f"/api/v1/alerts/{alert.pk}/ack/")
    assert response.status_code == 200
    assert response.json()["acknowledged_at"] is not None
    assert api_client("alerts:read").post(f"/api/v1/alerts/{alert.pk}/ack/").status_code == 403


def test_a_moderator_may_acknowledge_through_the_session_but_not_configure(client_for, mo):
    alert = _alert()
    client = client_for(mo)
    assert client.get("/api/v1/alerts/").status_code == 200
    response = client.post(f"/api/v1/alerts/{alert.pk}/ack/")
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == "mo"
    assert client.get("/api/v1/alert-rules/").status_code == 403
    assert client.get("/api/v1/notification-channels/").status_code == 403


def test_charlie_and_anonymous_get_refused(client, client_for, charlie):
    alert = _alert()
    assert client.get("/api/v1/alerts/").status_code in (401, 403)
    assert client_for(charlie).post(f"/api/v1/alerts/{alert.pk}/ack/").status_code == 403


def test_acking_a_resolved_alert_is_a_409(api_client):
    alert = _alert(state="resolved")
    assert api_client("alerts:write").post(f"/api/v1/alerts/{alert.pk}/ack/").status_code == 409


def test_alerts_are_paged_newest_first(api_client):
    rule = AlertRule.objects.create(name="r", metric="failed_logins", warning_threshold=5)
    now = timezone.now()
    for minutes in range(5):
        Alert.objects.create(
            rule=rule, severity="warning", state="resolved", started_at=now - timezone.timedelta(minutes=minutes)
        )
    client = api_client("alerts:read")
    first = client.get("/api/v1/alerts/?page_size=3").json()
    second = client.get(first["next"]).json()
    started = [a["started_at"] for a in first["results"] + second["results"]]
    assert len(started) == 5 and started == sorted(started, reverse=True)


@pytest.mark.parametrize(
    ("query", "field", "hint"),
    [
        ("rule=abc", "rule", "whole number"),
        ("rule=1.5", "rule", "whole number"),
        ("rule=0", "rule", ">= 1"),
        ("state=bogus", "state", "pending, firing, resolved"),
        ("severity=x", "severity", "info, warning, critical"),
        ("since=x", "since", "ISO 8601"),
        ("until=yesterday", "until", "ISO 8601"),
        ("since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "until", "after since"),
    ],
)
def test_a_bad_alert_filter_is_a_400_naming_the_allowed_values(api_client, query, field, hint):
    _alert()
    response = api_client("alerts:read").get(f"/api/v1/alerts/?{query}")
    assert response.status_code == 400, response.content
    assert hint in response.json()[field][0]


def test_alerts_filter_on_rule_severity_and_time(api_client):
    alert = _alert()
    client = api_client("alerts:read")

    def ids(query):
        response = client.get(f"/api/v1/alerts/?{query}")
        assert response.status_code == 200, response.content
        return [a["id"] for a in response.json()["results"]]

    assert ids(f"rule={alert.rule_id}&severity=warning&state=firing") == [alert.pk]
    assert ids(f"rule={alert.rule_id + 1}") == [] and ids("severity=critical") == []
    started = alert.started_at.isoformat().replace("+00:00", "Z")
    assert ids(f"since={started}") == [alert.pk]
    assert ids(f"until={started}") == []


@pytest.mark.parametrize(
    ("change", "field", "hint"),
    [
        ({"metric": "metric:1bad"}, "metric", "not a metric name"),
        ({"metric": "metric:rv sum", "aggregation": "sum"}, "metric", "not a metric name"),
        ({"metric": "metric:rv_sum"}, "aggregation", "Required for metric:<name>"),
        ({"metric": "ai_calls", "aggregation": "p95"}, "aggregation", "leave this empty"),
        ({"metric": "metric:rv_sum", "aggregation": "median"}, "aggregation", "avg, sum"),
        (
            {"comparator": "gt", "warning_threshold": 10, "critical_threshold": 5},
            "warning_threshold",
            "<= the critical",
        ),
        (
            {"comparator": "lte", "warning_threshold": 5, "critical_threshold": 10},
            "warning_threshold",
            ">= the critical",
        ),
        ({"filters": {"model": 5}}, "filters", "model must be a string"),
        ({"metric": "queue_depth", "filters": {"tags": {"queue": 1}}}, "filters", "tags must be an object of strings"),
        ({"filters": ["model"]}, "filters", "Expected an object"),
        ({"filters": {"colour": "red"}}, "filters", "cannot filter on 'colour'"),
        ({"warning_threshold": 1e308}, "warning_threshold", "between"),
        ({"warning_threshold": None, "critical_threshold": -1e308}, "critical_threshold", "between"),
        ({"resolve_threshold": 1e300}, "resolve_threshold", "between"),
    ],
)
def test_a_loose_rule_is_a_400_with_a_clear_field_error(api_client, change, field, hint):
    response = api_client("alerts:write").post("/api/v1/alert-rules/", {**RULE, **change}, format="json")
    assert response.status_code == 400, response.json()
    assert hint in str(response.json()[field])


def test_sound_rules_are_still_accepted(api_client):
    client = api_client("alerts:write")
    for i, change in enumerate(
        [
            {"metric": "metric:rv_sum", "aggregation": "sum"},
            {"metric": "metric:ns:latency_ms", "aggregation": "p95", "filters": {"tags": {"region": "eu"}}},
            {"metric": "queue_depth", "aggregation": "avg", "filters": {"tags": {"queue": "celery"}}},
            {"metric": "ai_calls", "filters": {"model": "gpt-4o", "tenant": "acme"}},
            {"comparator": "lt", "warning_threshold": 20, "critical_threshold": 5},
            {"comparator": "gte", "warning_threshold": 5, "critical_threshold": 5},
            {"warning_threshold": None, "critical_threshold": -1e15},
        ]
    ):
        response = client.post("/api/v1/alert-rules/", {**RULE, "name": f"r{i}", **change}, format="json")
        assert response.status_code == 201, (change, response.json())


def test_a_patch_is_checked_against_the_stored_rule(api_client):
    client = api_client("alerts:write")
    rule_id = client.post("/api/v1/alert-rules/", RULE, format="json").json()["id"]
    response = client.patch(f"/api/v1/alert-rules/{rule_id}/", {"warning_threshold": 50}, format="json")
    assert response.status_code == 400 and "<= the critical" in response.json()["warning_threshold"][0]


def test_the_model_clean_applies_the_same_rules():
    from django.core.exceptions import ValidationError

    rule = AlertRule(
        name="x", metric="ai_calls", aggregation="p95", comparator="gt", warning_threshold=10, critical_threshold=5
    )
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    assert {"aggregation", "warning_threshold"} <= set(caught.value.message_dict)


def test_every_default_rule_passes_the_checks():
    from alerts.defaults import DEFAULT_RULES
    from alerts.validation import rule_errors

    assert {rule["key"]: rule_errors(rule) for rule in DEFAULT_RULES if rule_errors(rule)} == {}


def test_an_ack_by_api_key_records_the_key_name(api_client):
    alert = _alert()
    client = api_client("alerts:write")
    response = client.post(f"/api/v1/alerts/{alert.pk}/ack/")
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == f"key:{client.key.name}"
    listed = api_client("alerts:read").get("/api/v1/alerts/").json()["results"][0]
    assert listed["acknowledged_by"] == f"key:{client.key.name}"
    alert.refresh_from_db()
    assert alert.as_payload()["acknowledged_by"] == f"key:{client.key.name}"  # what webhooks carry
