"""The sessions list, a session and its trace waterfall in chromium, with no console errors."""

import pytest

from conftest import ARTIFACTS
from tests.ailogs.helpers import price
from tests.dashboard.test_browser import log_in
from tests.traces.helpers import agent_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_goes_from_the_sessions_list_to_a_span_s_attributes(live_server, page, alice, api_client):
    price(pattern="gpt-4o-mini*", inp="0.15", out="0.60")
    agent_run(api_client, session="conv-browser")
    trace_id = agent_run(api_client, session="conv-browser", error="order service down")
    log_in(page, live_server, "alice")

    page.goto(f"{live_server.url}/admin/traces/span/sessions/?range=24h")
    page.click("text=conv-browser")
    page.wait_for_url("**/sessions/conv-browser/")
    assert page.locator('[data-summary="traces"]').inner_text() == "2"
    page.screenshot(path=ARTIFACTS / "traces-session.png", full_page=True)

    page.click(f'a[href$="/trace/{trace_id}/"]')
    page.wait_for_url(f"**/trace/{trace_id}/")
    rows = page.locator(".wf-row")
    assert rows.count() == 4
    failed = page.locator(".wf-row.wf-error")
    assert failed.locator(".wf-name").inner_text().endswith("lookup_order checkout-bot")
    bar = page.locator(".wf-row").nth(0).locator(".wf-bar").bounding_box()
    child = page.locator(".wf-row").nth(3).locator(".wf-bar").bounding_box()
    assert child["width"] < bar["width"]  # a 200 ms child is drawn shorter than its 900 ms root

    chat = page.locator(".wf-row.wf-ai").first
    assert not chat.locator(".wf-attributes").is_visible()
    chat.locator("summary").click()
    assert "gen_ai.usage.input_tokens" in chat.locator(".wf-attributes").inner_text()
    page.screenshot(path=ARTIFACTS / "traces-waterfall.png", full_page=True)

    page.click("[data-session-link]")
    page.wait_for_url("**/sessions/conv-browser/")
    assert page.console_errors == []
