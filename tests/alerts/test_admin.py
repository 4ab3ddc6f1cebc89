import pytest
from django.utils import timezone

from alerts.models import Alert, AlertRule, NotificationChannel, NotificationDelivery
from tests.alerts.conftest import failed_logins

pytestmark = pytest.mark.django_db
SECRET_URL = "https://hooks.slack.com/services/T000/B000/very-secret-token"


@pytest.fixture
def firing():
    rule = AlertRule.objects.create(name="Logins", metric="failed_logins", warning_threshold=5)
    return Alert.objects.create(
        rule=rule, severity="warning", state="firing", value=6, threshold=5, fired_at=timezone.now()
    )


def test_a_moderator_views_and_acknowledges_alerts(client_for, mo, firing):
    client = client_for(mo)
    assert client.get("/admin/alerts/alert/").status_code == 200
    assert client.get(f"/admin/alerts/alert/{firing.pk}/change/").status_code == 200
    response = client.post("/admin/alerts/alert/", {"action": "acknowledge", "_selected_action": [firing.pk]})
    assert response.status_code == 302
    firing.refresh_from_db()
    assert firing.acknowledged_by == mo


@pytest.mark.parametrize("page", ["alertrule", "notificationchannel", "silence", "notificationdelivery"])
def test_a_moderator_gets_no_configuration(client_for, mo, page):
    assert client_for(mo).get(f"/admin/alerts/{page}/").status_code == 403


def test_a_moderator_cannot_edit_or_delete_alerts(client_for, mo, firing):
    client = client_for(mo)
    client.post(f"/admin/alerts/alert/{firing.pk}/change/", {"state": "resolved"})
    assert client.post(f"/admin/alerts/alert/{firing.pk}/delete/", {"post": "yes"}).status_code == 403
    firing.refresh_from_db()
    assert firing.state == "firing"


def test_charlie_sees_no_alerts(client_for, charlie, firing):
    assert client_for(charlie).get("/admin/alerts/alert/").status_code == 403


def test_webhook_urls_are_masked_in_the_admin(client_for, alice):
    channel = NotificationChannel.objects.create(name="slack", kind="slack", target=SECRET_URL)
    client = client_for(alice)
    for url in ("/admin/alerts/notificationchannel/", f"/admin/alerts/notificationchannel/{channel.pk}/change/"):
        html = client.get(url).content.decode()
        assert "very-secret-token" not in html and "hooks.slack.com" in html


def test_saving_a_channel_without_a_new_target_keeps_it_and_a_private_one_is_refused(client_for, alice, settings):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORKS = False
    channel = NotificationChannel.objects.create(name="hook", kind="webhook", target="https://127.0.0.1.invalid/x")
    client = client_for(alice)
    form = {
        "name": "hook",
        "kind": "webhook",
        "target": "https://169.254.169.254/",
        "secret": "",
        "min_severity": "warning",
        "enabled": "on",
    }
    response = client.post(f"/admin/alerts/notificationchannel/{channel.pk}/change/", form)
    assert response.status_code == 200 and "not allowed" in response.content.decode()
    channel.refresh_from_db()
    assert channel.target == "https://127.0.0.1.invalid/x"


def test_send_test_notification_action_queues_a_delivery(client_for, alice, django_capture_on_commit_callbacks):
    channel = NotificationChannel.objects.create(name="slack", kind="slack", target=SECRET_URL)
    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(alice).post(
            "/admin/alerts/notificationchannel/", {"action": "send_test_notification", "_selected_action": [channel.pk]}
        )
    assert response.status_code == 302
    assert NotificationDelivery.objects.get().event == "test"


def test_the_preview_replays_the_last_7_days(client_for, alice):
    rule = AlertRule.objects.create(name="Logins", metric="failed_logins", warning_threshold=5, window_minutes=10)
    failed_logins(6, at=timezone.now() - timezone.timedelta(days=2))
    response = client_for(alice).get(f"/admin/alerts/alertrule/{rule.pk}/preview/")
    assert response.status_code == 200
    result = response.context["result"]
    assert [t["reason"] for t in result["transitions"]] == ["fired", "resolved"]
    assert result["notifications"] == 2


def test_the_delivery_log_shows_attempts(client_for, alice):
    channel = NotificationChannel.objects.create(name="slack", kind="slack", target=SECRET_URL)
    NotificationDelivery.objects.create(
        channel=channel, event="test", status="failed", attempts=3, status_code=500, error="HTTP 500: boom"
    )
    html = client_for(alice).get("/admin/alerts/notificationdelivery/").content.decode()
    assert "HTTP 500: boom" in html and "very-secret-token" not in html


def test_the_rule_form_refuses_what_the_api_refuses(client_for, alice):
    form = {
        "name": "loose",
        "enabled": "on",
        "metric": "ai_calls",
        "aggregation": "p95",
        "filters": '{"model": 5}',
        "window_minutes": 60,
        "min_samples": 1,
        "comparator": "gt",
        "warning_threshold": 10,
        "critical_threshold": 5,
        "for_minutes": 0,
        "keep_firing_minutes": 0,
        "repeat_interval_minutes": 240,
    }
    response = client_for(alice).post("/admin/alerts/alertrule/add/", form)
    body = response.content.decode()
    assert response.status_code == 200, body[:500]
    assert "leave this empty" in body and "must be the milder one" in body
    assert not AlertRule.objects.filter(name="loose").exists()


def test_a_moderator_reads_the_rule_on_the_alert_and_gets_no_link_to_a_403(client_for, mo, alice, firing):
    import re

    client = client_for(mo)
    page = client.get(f"/admin/alerts/alert/{firing.pk}/change/").content.decode()
    assert "failed_logins over 5 min: warning &gt; 5" in page  # the rule, read-only, on the alert
    rule_url = f"/admin/alerts/alertrule/{firing.rule_id}/change/"
    assert rule_url not in page
    for href in sorted(set(re.findall(r'href="(/admin/[^"#?]*)"', page))):
        assert client.get(href).status_code != 403, href
    assert rule_url in client_for(alice).get(f"/admin/alerts/alert/{firing.pk}/change/").content.decode()


def test_an_admin_saves_a_budget_rule_grouped_by_tenant_through_the_form(client_for, alice):
    form = {
        "name": "Monthly budget",
        "enabled": "on",
        "kind": "budget",
        "metric": "ai_cost_usd",
        "aggregation": "",
        "filters": "{}",
        "group_by": '["tenant"]',
        "budget_period": "month",
        "budget_usd": 500,
        "window_minutes": 5,
        "min_samples": 1,
        "comparator": "gt",
        "warning_threshold": 80,
        "critical_threshold": 100,
        "for_minutes": 0,
        "keep_firing_minutes": 0,
        "repeat_interval_minutes": 240,
    }
    response = client_for(alice).post("/admin/alerts/alertrule/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = AlertRule.objects.get(name="Monthly budget")
    assert (saved.kind, saved.group_by, saved.budget_usd) == ("budget", ["tenant"], 500)
    form.update(name="Bad budget", budget_period="", group_by='["customer"]')
    body = client_for(alice).post("/admin/alerts/alertrule/add/", form).content.decode()
    assert "Cannot group by &#x27;customer&#x27;" in body and "day or month" in body
    empty_group = {
        **form,
        "name": "Plain",
        "kind": "threshold",
        "budget_period": "",
        "budget_usd": "",
        "group_by": "[]",
    }
    assert client_for(alice).post("/admin/alerts/alertrule/add/", empty_group).status_code == 302


def test_an_admin_sets_up_a_grouped_budget_in_the_browser_and_previews_it(transactional_db, live_server, page, alice):
    from conftest import ARTIFACTS, PASSWORD

    page.goto(f"{live_server.url}/admin/login/?next=/admin/alerts/alertrule/add/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.get_by_label("Name").fill("Monthly budget per tenant")
    page.get_by_label("Kind").select_option("budget")
    page.get_by_label("Metric").fill("ai_cost_usd")
    page.get_by_label("Group by").fill('["tenant"]')
    page.get_by_label("Budget period").select_option("month")
    page.get_by_label("Budget (USD)").fill("500")
    page.get_by_label("Warning threshold").fill("80")
    page.get_by_label("Critical threshold").fill("100")
    page.screenshot(path=str(ARTIFACTS / "alerts-budget-form.png"), full_page=True)
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("was added successfully").wait_for()
    rule = AlertRule.objects.get(name="Monthly budget per tenant")
    assert (rule.kind, rule.group_by, rule.budget_period, rule.budget_usd) == ("budget", ["tenant"], "month", 500)
    page.goto(f"{live_server.url}/admin/alerts/alertrule/{rule.pk}/preview/")
    page.get_by_text("This rule would not have changed state.").wait_for()
    assert page.console_errors == []
