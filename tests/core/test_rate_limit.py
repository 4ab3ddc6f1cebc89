import pytest

from tests.core.test_health import redis_down  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/auth/check/"


def test_a_key_over_its_rate_gets_429_with_an_integer_retry_after(api_client):
    client = api_client("metrics:read", rate_limit_per_minute=3)
    assert [client.get(CHECK).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(CHECK)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"].lower()


def test_one_key_being_limited_does_not_limit_another(api_client):
    noisy = api_client("metrics:read", rate_limit_per_minute=1)
    quiet = api_client("metrics:read")
    noisy.get(CHECK)
    assert noisy.get(CHECK).status_code == 429
    assert quiet.get(CHECK).status_code == 200


def test_the_limit_fails_open_when_the_cache_is_down(api_client, redis_down):  # noqa: F811
    import monitoring_site.throttling as throttling

    throttling._cache_down_until = 0.0
    client = api_client("metrics:read", rate_limit_per_minute=1)
    try:
        assert [client.get(CHECK).status_code for _ in range(3)] == [200, 200, 200]
    finally:
        throttling._cache_down_until = 0.0
