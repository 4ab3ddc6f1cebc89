from unittest import mock

from django.core.cache import cache

from feedback.models import Feedback


def test_it_answers_429_with_retry_after_over_the_per_minute_limit(widget_post, settings):
    settings.FEEDBACK_RATE_PER_MINUTE = 3
    codes = [widget_post(message=f"m{i}").status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    response = widget_post(message="again")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    assert "Retry-After" in response["Access-Control-Expose-Headers"]  # readable by the widget
    assert "retry" in response.json()["detail"].lower()
    assert Feedback.objects.count() == 3


def test_the_daily_limit_applies_too(widget_post, settings):
    settings.FEEDBACK_RATE_PER_MINUTE = 100
    settings.FEEDBACK_RATE_PER_DAY = 2
    assert [widget_post(message=f"m{i}").status_code for i in range(3)] == [201, 201, 429]


def test_limits_are_per_client_address(widget_post, settings):
    settings.FEEDBACK_RATE_PER_MINUTE = 1
    client_a = {"REMOTE_ADDR": "10.0.0.1"}
    client_b = {"REMOTE_ADDR": "10.0.0.2"}
    from django.test import Client

    a, b = Client(**client_a), Client(**client_b)
    assert widget_post(client=a, message="a1").status_code == 201
    assert widget_post(client=a, message="a2").status_code == 429
    assert widget_post(client=b, message="b1").status_code == 201


def test_a_site_is_capped_across_all_addresses(widget_post, settings):
    from django.test import Client

    settings.FEEDBACK_SITE_RATE_PER_MINUTE = 3
    codes = [widget_post(client=Client(REMOTE_ADDR=f"10.0.0.{i}"), message=f"m{i}").status_code for i in range(5)]
    assert codes == [201, 201, 201, 429, 429]


def test_forwarded_for_is_ignored_without_trusted_proxies(widget_post, settings):
    settings.FEEDBACK_RATE_PER_MINUTE = 1
    assert widget_post(message="a", headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 201
    assert widget_post(message="b", headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 429


def test_forwarded_for_counts_behind_a_trusted_proxy(widget_post, settings):
    settings.FEEDBACK_RATE_PER_MINUTE = 1
    settings.AXES_IPWARE_PROXY_COUNT = 1
    assert widget_post(message="a", headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 201
    assert widget_post(message="b", headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 201
    assert Feedback.objects.filter(client_address="2.2.2.2").exists()


def test_it_fails_open_when_the_cache_is_down(widget_post, settings):
    settings.FEEDBACK_RATE_PER_MINUTE = 1
    with mock.patch.object(cache, "incr", side_effect=ConnectionError("cache down")):
        codes = [widget_post(message=f"m{i}").status_code for i in range(3)]
    assert codes == [201, 201, 201]
