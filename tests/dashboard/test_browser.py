"""In chromium: log in through the form, read the overview, switch range and tab, see charts."""

import pytest
from django.core.cache import cache

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
