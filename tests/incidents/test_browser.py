"""In chromium: a moderator follows an incident's timeline and posts a public update that the
status page (read without login, JavaScript off) then shows, with nothing internal in it."""

import pytest

from conftest import ARTIFACTS, PASSWORD
from tests.incidents.conftest import INTERNAL

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_incident_timeline_and_status_page_in_the_browser(live_server, page, browser, story, mo):
    incident = story["incident"]
    log_in(page, live_server, "mo")
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    timeline = page.locator("[data-testid=timeline] li")
    texts = timeline.all_inner_texts()
    assert any("internal-db-backup-cron: up → down" in t for t in texts)
    assert any("We are restoring the backup job." in t for t in texts)
    page.fill("textarea[name=body]", "Backups run again; we keep watching.")
    page.check("input[name=public]")
    page.select_option("select[name=status]", "mitigated")
    page.click("button.default")
    page.wait_for_url(f"{live_server.url}/incidents/{incident.pk}/")
    assert "Backups run again; we keep watching." in page.locator("[data-testid=timeline]").inner_text()
    assert "mitigated" in page.locator("[data-testid=incident-meta]").inner_text()
    page.screenshot(path=ARTIFACTS / "incident-timeline.png", full_page=True)
    assert page.console_errors == []

    public = browser.new_context(java_script_enabled=False, viewport={"width": 1100, "height": 900})
    try:
        anonymous = public.new_page()
        anonymous.goto(f"{live_server.url}/status-page/acme/")
        body = anonymous.locator("main").inner_text()
        assert "Backups" in body and "Public API" in body and "Delayed backups" in body
        assert "Backups run again; we keep watching." in body
        assert anonymous.locator(".bars").count() == 2
        html = anonymous.content()
        assert [word for word in INTERNAL if word in html] == []
        anonymous.screenshot(path=ARTIFACTS / "status-page.png", full_page=True)
    finally:
        public.close()
