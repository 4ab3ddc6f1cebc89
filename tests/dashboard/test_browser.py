"""In chromium: log in through the form, read the overview, switch range and tab, see charts."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from conftest import ARTIFACTS, PASSWORD
from dashboard.formatting import number
from tests.dashboard.factories import insert_ai_calls, insert_everything, needs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABS = ["ai", "system", "feedback", "alerts", "usage"]


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


@needs("ailogs", "AiCall")
def test_it_shows_an_admin_the_overview_tabs_and_charts(live_server, page, alice):
    calls = insert_everything()
    log_in(page, live_server, "alice")
    avg = sum(c["duration_ms"] for c in calls) / len(calls)
    assert page.locator('[data-card="ai_latency_avg"] [data-value]').inner_text() == number(avg, "ms")
    page.screenshot(path=ARTIFACTS / "dashboard-overview.png", full_page=True)

    more = insert_ai_calls(n=5, minutes_ago=5, seed=11)
    cache.clear()  # the 30 s cache would otherwise (rightly) answer with the first figures
    page.click("[data-refresh]")
    page.wait_for_selector("body[data-refreshed='1']")
    tokens = sum(c["total_tokens"] for c in calls + more)
    assert page.locator('[data-card="ai_tokens"] [data-value]').inner_text() == number(tokens)

    page.click('[data-range="7d"]')
    page.wait_for_url("**/admin/?range=7d")
    assert page.locator('[data-range="7d"]').get_attribute("aria-current") == "true"

    for tab in TABS:
        page.click(f'[data-tab-link="{tab}"]')
        page.wait_for_url(f"**/admin/dashboard/{tab}/?range=7d")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=ARTIFACTS / f"dashboard-{tab}.png", full_page=True)
    page.click('[data-tab-link="ai"]')
    page.wait_for_selector('canvas[data-chart="ai_time.latency"][data-rendered="true"]')
    assert page.console_errors == []


def test_it_shows_a_moderator_only_feedback_and_alerts(live_server, page, mo):
    log_in(page, live_server, "mo")
    sections = page.locator("[data-section]").evaluate_all("nodes => nodes.map(n => n.dataset.section)")
    assert sections == ["feedback_kpis", "alerts_kpis"]
    tabs = page.locator("[data-tab-link]").evaluate_all("nodes => nodes.map(n => n.dataset.tabLink)")
    assert tabs == ["overview", "feedback", "alerts"]
    page.screenshot(path=ARTIFACTS / "dashboard-moderator.png", full_page=True)
    response = page.goto(f"{live_server.url}/admin/dashboard/ai/")
    assert response.status == 403


@needs("ailogs", "AiCall")
def test_it_draws_a_posted_deploy_on_the_charts_with_its_version_on_hover(live_server, page, alice, api_client):
    insert_ai_calls(n=40, minutes_ago=50)
    at = timezone.now() - timedelta(minutes=25)
    body = {"kind": "deploy", "title": "api 2.14.0", "version": "2.14.0", "timestamp": at.isoformat()}
    assert api_client("events:write").post("/api/v1/events/", body, format="json").status_code == 201
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/admin/dashboard/ai/?range=1h")
    canvas = page.locator('canvas[data-chart="ai_time.latency"][data-rendered="true"]')
    canvas.wait_for()
    assert page.locator('canvas[data-chart^="ai_time."][data-markers="1"]').count() == 4

    # Hover the line: Chart.js' own scale says where the marker's position falls on the canvas.
    x, y = canvas.evaluate(
        """(node) => {
            const chart = window.Chart.getChart(node);
            const spec = JSON.parse(document.getElementById("dashboard-data").textContent)
                .sections.find((s) => s.key === "ai_time").charts.find((c) => c.id === "latency");
            const { left, right, top, bottom } = chart.chartArea;
            const px = Math.min(Math.max(chart.scales.x.getPixelForValue(spec.markers[0].x), left), right);
            return [px, (top + bottom) / 2];
        }"""
    )
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_selector(
        f'canvas[data-chart="ai_time.latency"][data-marker="deploy: api 2.14.0 (2.14.0), {at:%H:%M} UTC"]'
    )
    page.locator("#section-ai_time").screenshot(path=ARTIFACTS / "dashboard-deploy-marker.png")
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.wait_for_selector('canvas[data-chart="ai_time.latency"][data-marker=""]')
    assert page.console_errors == []
