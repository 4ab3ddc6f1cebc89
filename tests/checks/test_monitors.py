"""Uptime monitors against a real local HTTP server, and the SSRF guard at save and at connect."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from checks import monitors
from checks.models import Monitor, MonitorResult
from monitoring_site.lib import outbound
from tests.checks.conftest import MINUTE, T0, free_port

pytestmark = pytest.mark.django_db


def run(monitor: Monitor, times: int = 1, start=T0) -> Monitor:
    for i in range(times):
        monitors.run(monitor.pk, now=start + i * MINUTE)
    return Monitor.objects.get(pk=monitor.pk)


def last_result(monitor: Monitor) -> MonitorResult:
    return monitor.results.order_by("-checked_at").first()


def test_an_answering_endpoint_is_up_with_status_and_response_time(site, make_monitor):
    monitor = run(make_monitor(site.url(), body_contains="good"))
    result = last_result(monitor)
    assert monitor.status == "up" and result.up and result.status_code == 200
    assert result.response_ms is not None and result.reason == "OK"


def test_a_wrong_status_is_down_only_after_two_failures_in_a_row(site, make_monitor):
    monitor = run(make_monitor(site.url()))
    site.status = 500
    monitor = run(monitor, start=T0 + MINUTE)
    assert monitor.status == "up" and last_result(monitor).reason == "status 500, expected 200"
    monitor = run(monitor, start=T0 + 2 * MINUTE)
    assert monitor.status == "down"
    assert monitor.flips.get(new_status="down").reason == "2 failures in a row; last: status 500, expected 200"
    site.status = 200
    assert run(monitor, start=T0 + 3 * MINUTE).status == "up"


def test_a_body_without_the_expected_text_is_a_failure(site, make_monitor):
    site.body = b"maintenance"
    monitor = run(make_monitor(site.url(), body_contains="all good", failures_before_down=1))
    assert monitor.status == "down" and "does not contain 'all good'" in monitor.last_reason


def test_a_slow_endpoint_times_out(site, make_monitor):
    site.delay = 1.5
    monitor = run(make_monitor(site.url(), timeout_seconds=0.5, failures_before_down=1))
    assert monitor.status == "down" and monitor.last_reason == "timed out after 0.5 s"


def test_a_refused_connection_is_a_failure(settings, make_monitor):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORKS = True
    monitor = run(make_monitor(f"http://127.0.0.1:{free_port()}/", failures_before_down=1))
    assert monitor.status == "down" and monitor.last_reason.startswith("connection failed")


def test_head_requests_read_no_body(site, make_monitor):
    monitor = run(make_monitor(site.url(), method="HEAD"))
    assert monitor.status == "up" and site.hits == 1


@pytest.mark.parametrize(
    "url", ["http://example.com/", "https://127.0.0.1/", "https://10.0.0.5/x", "https://localhost/", "https://[::1]/"]
)
def test_the_guard_refuses_private_and_plain_http_urls_at_save(api_client, url, settings):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORKS = False
    response = api_client("checks:write").post("/api/v1/monitors/", {"name": "m", "url": url}, format="json")
    assert response.status_code == 400
    assert "not allowed" in response.json()["url"][0]
    with pytest.raises(ValidationError):
        Monitor(name="m", url=url).full_clean()


def test_the_guard_refuses_at_connect_a_name_that_now_resolves_to_a_private_address(
    monkeypatch, make_monitor, settings
):
    """DNS rebinding: the name passed at save, then resolves to 127.0.0.1; nothing is contacted."""
    settings.NOTIFY_ALLOW_PRIVATE_NETWORKS = False
    monitor = make_monitor("https://status.example.org/health", failures_before_down=1)
    monkeypatch.setattr(outbound, "_lookup", lambda host, port: ["127.0.0.1"])
    monitor = run(monitor)
    assert monitor.status == "down"
    assert monitor.last_reason.startswith("blocked by the SSRF guard") and "127.0.0.1" in monitor.last_reason


def test_interval_and_timeout_bounds_are_400s(api_client, settings):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORKS = True
    client = api_client("checks:write")
    body = {"name": "m", "url": "http://127.0.0.1:8120/", "interval_seconds": 5, "timeout_seconds": 0}
    errors = client.post("/api/v1/monitors/", body, format="json").json()
    assert set(errors) == {"interval_seconds", "timeout_seconds"}


def test_due_monitors_are_claimed_once(site, make_monitor):
    a, b = make_monitor(site.url()), make_monitor(site.url(), interval_seconds=300)
    now = timezone.now()
    assert sorted(monitors.claim_due(now)) == sorted([a.pk, b.pk])
    assert monitors.claim_due(now) == []  # already moved to their next run
    assert monitors.claim_due(now + 2 * MINUTE) == [a.pk]


def test_results_become_uptime_and_response_time_metrics(site, make_monitor):
    from metrics.queries import aggregate

    monitor = make_monitor(site.url(), name="Public API")
    now = timezone.now()
    monitors.run(monitor.pk, now=now)
    site.status = 503
    monitors.run(monitor.pk, now=now)
    tags = {"monitor": monitor.slug}
    uptime, samples = aggregate("monitor_up", now - MINUTE, now + MINUTE, "avg", tags)
    assert (uptime, samples) == (50.0, 2)
    p95, _ = aggregate("monitor_response_ms", now - MINUTE, now + MINUTE, "p95", tags)
    assert p95 is not None and p95 >= 0


def test_a_certificate_close_to_expiry_is_named_but_not_down(make_monitor, site):
    from datetime import timedelta

    monitor = make_monitor(site.url(), tls_warn_days=14)
    soon = outbound.Response(200, {}, b"all good", 12.0, T0 + timedelta(days=9, hours=1))
    assert monitors._judge(monitor, soon, (soon.tls_expires_at - T0).days) == (
        True,
        "OK; the TLS certificate expires in 9 days",
    )
    later = outbound.Response(200, {}, b"all good", 12.0, T0 + timedelta(days=60))
    assert monitors._judge(monitor, later, 60) == (True, "OK")
