import pytest

from monitoring_site.sentry import init_sentry

pytestmark = pytest.mark.django_db


def test_openapi_schema_documents_the_bearer_key(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["ServiceApiKey"]["scheme"] == "bearer"
    assert "/api/v1/auth/check/" in schema["paths"]


def test_api_docs_load_swagger_from_our_own_static_files(client):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()


def test_sentry_is_off_without_a_dsn_and_private_by_default_with_one():
    import sentry_sdk

    assert init_sentry(dsn="", environment="x", traces_sample_rate=0.2, release="1") is False
    try:
        assert init_sentry(
            dsn="http://public@127.0.0.1:1/1", environment="staging", traces_sample_rate=0.5, release="1"
        )
        options = sentry_sdk.get_client().options
        assert options["send_default_pii"] is False
        assert options["environment"] == "staging"
        assert options["traces_sample_rate"] == 0.5
        assert options["before_send"].__name__ == "before_send"
        names = {type(i).__name__ for i in sentry_sdk.get_client().integrations.values()}
        assert {"DjangoIntegration", "CeleryIntegration", "RedisIntegration"} <= names
    finally:
        sentry_sdk.init(dsn=None)
