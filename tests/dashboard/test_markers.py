"""Deploy, config and note events (POST /api/v1/events/) as markers on every time chart, in the
JSON twin: at their bucket, in the viewed range only, for the roles that see incident timelines."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.ranges import RANGES
from dashboard.sections import TABS
from incidents.models import Event

pytestmark = pytest.mark.django_db


def time_charts(client, tab: str, **params) -> list[dict]:
    response = client.get(reverse("admin:dashboard-data", kwargs={"tab": tab}), params)
    assert response.status_code == 200
    return [
        {**chart, "section": section["key"]}
        for section in response.json()["sections"]
        for chart in section.get("charts", [])
        if chart.get("x_axis") == "time (UTC)"
    ]


def post_deploy(api_client, minutes_ago: float, **fields) -> datetime:
    at = (timezone.now() - timedelta(minutes=minutes_ago)).replace(microsecond=0)
    body = {"kind": "deploy", "title": "api 2.14.0", "version": "2.14.0", "timestamp": at.isoformat(), **fields}
    assert api_client("events:write").post("/api/v1/events/", body, format="json").status_code == 201
    return at


def bucket_label(at: datetime, range_key: str) -> str:
    step = RANGES[range_key][1].total_seconds()
    start = datetime.fromtimestamp(at.timestamp() // step * step, tz=UTC)
    return start.strftime({"1h": "%H:%M", "24h": "%H:%M", "7d": "%a %H:00", "30d": "%b %d %H:00"}[range_key])


def test_it_puts_a_posted_deploy_on_every_time_chart_of_every_tab(client_for, alice, api_client):
    at = post_deploy(api_client, minutes_ago=100)
    seen = 0
    for tab in TABS:
        for chart in time_charts(client_for(alice), tab, range="24h"):
            (marker,) = chart["markers"]
            assert marker["kind"] == "deploy" and marker["title"] == "api 2.14.0" and marker["version"] == "2.14.0"
            assert marker["at"] == at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            assert chart["labels"][int(marker["x"])] == bucket_label(at, "24h"), chart["id"]
            seen += 1
    assert seen >= 10  # AI (4), System (5), Feedback (2), Alerts (1)


@pytest.mark.parametrize("range_key", list(RANGES))
def test_a_marker_sits_in_the_bucket_of_its_time_in_each_range(client_for, alice, api_client, range_key):
    at = post_deploy(api_client, minutes_ago=37)
    (chart, *_) = time_charts(client_for(alice), "feedback", range=range_key)
    (marker,) = chart["markers"]
    assert chart["labels"][int(marker["x"])] == bucket_label(at, range_key)
    # The fraction is how far into its bucket the deploy happened.
    step = RANGES[range_key][1].total_seconds()
    assert marker["x"] % 1 == pytest.approx((at.timestamp() % step) / step, abs=1e-3)


def test_it_shows_only_the_events_of_the_viewed_range(client_for, alice, api_client):
    post_deploy(api_client, minutes_ago=30, title="recent")
    post_deploy(api_client, minutes_ago=3 * 24 * 60, title="three days ago")
    titles = lambda **params: [m["title"] for m in time_charts(client_for(alice), "alerts", **params)[0]["markers"]]  # noqa: E731
    assert titles(range="1h") == ["recent"]
    assert titles(range="24h") == ["recent"]
    assert titles(range="7d") == ["three days ago", "recent"]


def test_config_changes_and_notes_are_markers_too(client_for, alice, api_client):
    post_deploy(api_client, minutes_ago=20, kind="config", title="pool size 40", version="")
    post_deploy(api_client, minutes_ago=10, kind="note", title="load test", version="")
    (chart, *_) = time_charts(client_for(alice), "feedback", range="1h")
    assert [(m["kind"], m["title"], m["version"]) for m in chart["markers"]] == [
        ("config", "pool size 40", ""),
        ("note", "load test", ""),
    ]


def test_a_tenant_view_shows_that_tenants_events_and_everyones(client_for, alice, api_client):
    post_deploy(api_client, minutes_ago=30, title="all tenants")
    post_deploy(api_client, minutes_ago=20, title="acme only", tenant="acme")
    post_deploy(api_client, minutes_ago=10, title="globex only", tenant="globex")
    titles = lambda **params: [m["title"] for m in time_charts(client_for(alice), "ai", **params)[0]["markers"]]  # noqa: E731
    assert titles(range="1h") == ["all tenants", "acme only", "globex only"]
    assert titles(range="1h", tenant="acme") == ["all tenants", "acme only"]


def test_a_moderator_sees_the_markers_on_the_feedback_and_alerts_charts(client_for, mo, api_client):
    post_deploy(api_client, minutes_ago=30)
    client = client_for(mo)
    charts = time_charts(client, "feedback") + time_charts(client, "alerts")
    assert len(charts) == 3
    assert all([m["title"] for m in c["markers"]] == ["api 2.14.0"] for c in charts)
    assert client.get(reverse("admin:dashboard-data", kwargs={"tab": "ai"})).status_code == 403


def test_the_page_embeds_the_markers_for_its_charts(client_for, alice, api_client):
    post_deploy(api_client, minutes_ago=30, title="api <b>2.14.0</b>")
    html = client_for(alice).get(reverse("admin:dashboard-tab", kwargs={"tab": "feedback"})).content.decode()
    assert "api \\u003Cb\\u003E2.14.0\\u003C/b\\u003E" in html  # json_script escapes it: no markup
    assert "<b>2.14.0</b>" not in html


def test_category_charts_carry_no_markers(client_for, alice, api_client):
    post_deploy(api_client, minutes_ago=30)
    response = client_for(alice).get(reverse("admin:dashboard-data", kwargs={"tab": "usage"}))
    charts = [c for s in response.json()["sections"] for c in s.get("charts", [])]
    assert charts and all("markers" not in c for c in charts)
    assert Event.objects.count() == 1
