"""The widget in Debian's chromium, embedded in a plain page served from another origin."""

import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import ARTIFACTS, PASSWORD
from feedback.models import Feedback, FeedbackSite

pytestmark = pytest.mark.browser

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop</title>
<style>/* hostile host styles: must not reach into the widget */
* {{ font-family: serif !important; }} button {{ background: rgb(255, 0, 0); color: rgb(0, 255, 0); }}
body {{ margin: 0; padding: 32px; font: 18px Georgia; background: #faf7f0; }}</style></head>
<body><h1>Acme Shop</h1><p>Our new AI shopping assistant answers your questions.</p>
<p style="max-width:40em">Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.</p>
<script src="{server}/widget.js" data-site-key="{key}" data-user-id="cust-7" data-trace-id="tr-abc" async></script>
</body></html>"""


def _free_port() -> int:
    for port in range(8300, 8400):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 8300-8399")


class HostSite:
    """A plain HTML page on http://127.0.0.1:<port>, a different origin from the live server."""

    def __init__(self, html: str) -> None:
        body = html.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def shop(transactional_db, live_server, settings):
    # Typing in a test takes less than the 2 s a human needs; the timing trap has API tests.
    settings.FEEDBACK_MIN_SUBMIT_SECONDS = 0
    site = FeedbackSite.objects.create(name="Shop")
    host = HostSite(HOST_PAGE.format(server=live_server.url, key=site.public_key))
    site.allowed_origins = host.url.rstrip("/")
    site.save()
    yield host, site
    host.close()


def widget(page):
    return page.locator("ai-feedback-widget")


def active_class(page) -> str:
    return page.evaluate("document.querySelector('ai-feedback-widget').shadowRoot.activeElement?.className || ''")


def open_with_keyboard(page) -> None:
    widget(page).locator(".launcher").wait_for()
    page.keyboard.press("Tab")
    assert "launcher" in active_class(page)
    page.keyboard.press("Enter")
    widget(page).get_by_role("dialog").wait_for()
    assert active_class(page) == ""  # the textarea has no class: focus moved into the form
    assert page.evaluate("document.querySelector('ai-feedback-widget').shadowRoot.activeElement.id") == "fb-message"


def test_a_visitor_sends_feedback_with_the_keyboard(shop, page, browser, live_server, mo):
    host, site = shop
    page.goto(host.url)
    open_with_keyboard(page)
    dialog = widget(page).get_by_role("dialog")
    assert dialog.get_attribute("aria-modal") == "true"
    page.keyboard.type("The assistant recommended a product that is out of stock.")
    page.keyboard.press("Tab")
    widget(page).get_by_label("Category").select_option("bug")
    page.keyboard.press("Tab")
    page.keyboard.type("ann@example.com")
    # host styles stay out: the launcher keeps its own colour and font
    launcher_bg = widget(page).locator(".launcher").evaluate("el => getComputedStyle(el).backgroundColor")
    assert launcher_bg != "rgb(255, 0, 0)"
    page.screenshot(path=str(ARTIFACTS / "feedback-widget-desktop.png"))
    page.keyboard.press("Tab")  # Cancel
    page.keyboard.press("Tab")  # Send
    assert "send" in active_class(page)
    page.keyboard.press("Tab")  # focus trap: back to the close button
    assert "close" in active_class(page)
    page.keyboard.press("Shift+Tab")
    assert "send" in active_class(page)
    page.keyboard.press("Enter")
    widget(page).get_by_text("Thank you! Your feedback was sent.").wait_for()
    page.screenshot(path=str(ARTIFACTS / "feedback-widget-success.png"))
    assert page.console_errors == []

    item = Feedback.objects.get()
    assert (item.site, item.status, item.category, item.email) == (site, "pending", "bug", "ann@example.com")
    assert (item.external_user_id, item.trace_id, item.page_url) == ("cust-7", "tr-abc", host.url)
    assert item.viewport == "1366x900"
    assert "Chrome" in item.user_agent

    admin_page = browser.new_page()
    admin_errors = []
    admin_page.on("console", lambda msg: msg.type == "error" and admin_errors.append(msg.text))
    admin_page.goto(f"{live_server.url}/admin/login/?next=/admin/feedback/feedback/")
    admin_page.fill("input[name=username]", "mo")
    admin_page.fill("input[name=password]", PASSWORD)
    admin_page.click("input[type=submit]")
    admin_page.get_by_text("The assistant recommended a product").first.wait_for()
    assert "/admin/feedback/feedback/" in admin_page.url
    # Staff get the widget on admin pages too, opened from the header: no floating button over the lists.
    header_link = admin_page.locator("#user-tools #admin-feedback")
    admin_page.locator("#admin-feedback[aria-haspopup=dialog]").wait_for()  # the widget took the link over
    assert widget(admin_page).locator(".launcher").is_hidden()
    header_link.click()
    widget(admin_page).get_by_role("dialog").wait_for()
    admin_page.keyboard.press("Escape")
    assert header_link.evaluate("link => link === document.activeElement")
    admin_page.screenshot(path=str(ARTIFACTS / "feedback-admin-list.png"), full_page=True)
    admin_page.get_by_role("link", name="The assistant recommended").click()
    admin_page.get_by_label("Internal notes").fill("Out-of-stock items should not be recommended.")
    admin_page.get_by_label("Status").select_option("reviewed")
    admin_page.screenshot(path=str(ARTIFACTS / "feedback-admin-change.png"), full_page=True)
    admin_page.get_by_role("button", name="Save", exact=True).click()
    admin_page.get_by_text("was changed successfully").wait_for()
    assert admin_errors == []  # no CSP violation from the widget on our own pages
    admin_page.close()
    item.refresh_from_db()
    assert item.status == "reviewed"


def test_escape_closes_and_returns_focus(shop, page):
    host, _ = shop
    page.goto(host.url)
    open_with_keyboard(page)
    page.keyboard.press("Escape")
    assert widget(page).get_by_role("dialog").is_hidden()
    assert "launcher" in active_class(page)
    page.screenshot(path=str(ARTIFACTS / "feedback-widget-closed.png"))


def test_open_widget_on_a_phone(shop, browser):
    host, _ = shop
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(host.url)
    widget(page).locator(".launcher").click()
    dialog = widget(page).get_by_role("dialog")
    dialog.wait_for()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844
    page.screenshot(path=str(ARTIFACTS / "feedback-widget-mobile.png"))
    context.close()


def test_a_page_on_a_disallowed_origin_is_refused(shop, page, live_server):
    _, site = shop
    stranger = HostSite(HOST_PAGE.format(server=live_server.url, key=site.public_key))
    try:
        page.goto(stranger.url)
        widget(page).locator(".launcher").click()
        widget(page).get_by_text("Feedback is not available on this page.").wait_for()
        assert widget(page).locator(".send").is_disabled()
        page.screenshot(path=str(ARTIFACTS / "feedback-widget-refused.png"))
        # Even a forged submit from that page is refused by the browser (no CORS) and the server.
        status = page.evaluate(
            """async ([url, key]) => {
                try {
                    const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                        body: JSON.stringify({site_key: key, message: "hi"})});
                    return r.status;
                } catch (e) { return "blocked"; }
            }""",
            [f"{live_server.url}/api/v1/feedback/", site.public_key],
        )
        assert status == "blocked"
        assert not Feedback.objects.exists()
    finally:
        stranger.close()


def test_a_signed_in_user_sends_feedback_from_this_site(transactional_db, live_server, page, uma):
    page.goto(f"{live_server.url}/feedback/login/")
    page.fill("input[name=username]", "uma")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("heading", name="My feedback").wait_for()
    widget(page).locator(".launcher").click()
    widget(page).get_by_label("Message").fill("Where can I see my invoices?")
    widget(page).get_by_label("Category").select_option("question")
    widget(page).get_by_role("button", name="Send feedback").click()
    widget(page).get_by_text("Thank you!").wait_for()
    page.reload()
    page.get_by_text("Where can I see my invoices?").wait_for()
    page.screenshot(path=str(ARTIFACTS / "feedback-mine.png"))
    assert page.console_errors == []  # our CSP allowed the widget, its styles and its request
    item = Feedback.objects.get()
    assert (item.user, item.site, item.category) == (uma, None, "question")


def send(page, message: str, email: str = "") -> None:
    widget(page).locator(".launcher").click()
    widget(page).get_by_label("Message").fill(message)
    widget(page).get_by_label("Email").fill(email)
    widget(page).get_by_role("button", name="Send feedback").click()


def test_the_widget_shows_the_servers_validation_error(shop, page):
    host, _ = shop
    page.goto(host.url)
    send(page, "It broke", email="not-an-email")
    widget(page).get_by_text("Email: Enter a valid email address.").wait_for()
    assert widget(page).get_by_role("dialog").is_visible()  # the text is kept for a retry
    assert widget(page).get_by_label("Message").input_value() == "It broke"
    assert not Feedback.objects.exists()


def test_the_widget_tells_a_rate_limited_visitor_when_to_retry(shop, page, settings, live_server):
    host, site = shop
    settings.FEEDBACK_RATE_PER_DAY = 0
    page.goto(host.url)
    send(page, "One more thing")
    status = widget(page).get_by_text(
        re.compile(r"Too many messages from here\. Please try again (later|in \d+ min)\.")
    )
    status.wait_for()
    retry_after = page.evaluate(
        """async ([url, key]) => {
            const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                body: JSON.stringify({site_key: key, message: "x"})});
            return [r.status, r.headers.get("Retry-After")];
        }""",
        [f"{live_server.url}/api/v1/feedback/", site.public_key],
    )
    assert retry_after[0] == 429 and int(retry_after[1]) > 0  # exposed to cross-origin scripts
    page.screenshot(path=str(ARTIFACTS / "feedback-widget-rate-limited.png"))
