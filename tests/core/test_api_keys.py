from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from monitoring_site.api_keys import key_cache
from monitoring_site.models import ApiKey, AuditEvent, hash_key

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/auth/check/"


def bearer(raw):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_it_prints_the_key_once_as_the_last_line_and_stores_only_its_hash():
    out = StringIO()
    call_command("create_api_key", "billing-service", "--scopes", "ailogs:write,metrics:write", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    key = ApiKey.objects.get(name="billing-service")
    assert raw.startswith("msk_") and len(raw) > 40
    assert key.hashed_key == hash_key(raw)
    assert raw not in str(ApiKey.objects.values().get())
    assert key.display.endswith(raw[-4:]) and key.prefix in raw
    assert key.scopes == ["ailogs:write", "metrics:write"]
    assert AuditEvent.objects.filter(kind="api_key_created").count() == 1


def test_it_refuses_unknown_scopes():
    with pytest.raises(CommandError, match="Unknown or missing scopes: ailogs:delete"):
        call_command("create_api_key", "x", "--scopes", "ailogs:delete", stdout=StringIO())
    assert not ApiKey.objects.exists()


def test_a_valid_key_authenticates(api_client):
    client = api_client("metrics:read")
    response = client.get(CHECK)
    assert response.status_code == 200
    assert response.json()["scopes"] == ["metrics:read"]


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer nonsense", "Token msk_00000000_abc", "Bearer msk_deadbeef_" + "x" * 43],
)
def test_missing_or_malformed_keys_get_401_as_json(header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(CHECK)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_a_right_prefix_with_a_wrong_secret_gets_401(api_client):
    client = api_client("metrics:read")
    forged = client.raw_key[:-6] + "AAAAAA"
    assert bearer(forged).get(CHECK).status_code == 401


def test_revoked_and_expired_keys_get_401():
    revoked, raw_revoked = ApiKey.issue("old", ["metrics:read"])
    assert bearer(raw_revoked).get(CHECK).status_code == 200
    revoked.revoke()
    key_cache.clear()  # another process would see it within API_KEY_CACHE_SECONDS
    assert bearer(raw_revoked).get(CHECK).status_code == 401
    _, raw_expired = ApiKey.issue("temp", ["metrics:read"], expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(raw_expired).get(CHECK).status_code == 401


def test_revoking_in_this_process_takes_effect_at_once(api_client):
    client = api_client("metrics:read")
    assert client.get(CHECK).status_code == 200
    ApiKey.objects.get(pk=client.key.pk).revoke()
    key_cache.clear()
    assert client.get(CHECK).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(api_client, django_assert_num_queries):
    client = api_client("metrics:read")
    client.get(CHECK)
    first = ApiKey.objects.get(pk=client.key.pk).last_used_at
    assert first is not None
    with django_assert_num_queries(0):
        client.get(CHECK)
    assert ApiKey.objects.get(pk=client.key.pk).last_used_at == first


class ScopedView(APIView):
    required_scopes = {"GET": "metrics:read", "POST": "metrics:write"}

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"ok": True}, status=201)


def call(view, method, raw=None, user=None):
    factory = APIRequestFactory()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"} if raw else {}
    request = getattr(factory, method)("/x", **headers)
    if user is not None:
        from rest_framework.test import force_authenticate

        force_authenticate(request, user=user)
    return view.as_view()(request)


def test_a_key_without_the_scope_gets_403_and_with_it_passes():
    _, reader = ApiKey.issue("reader", ["metrics:read"])
    assert call(ScopedView, "get", reader).status_code == 200
    response = call(ScopedView, "post", reader)
    assert response.status_code == 403
    assert "metrics:write" in str(response.data["detail"])


def test_staff_sessions_read_by_role(alice, mo, charlie):
    assert call(ScopedView, "get", user=alice).status_code == 200
    assert call(ScopedView, "get", user=mo).status_code == 403
    assert call(ScopedView, "get", user=charlie).status_code == 403


def test_admin_lists_keys_by_prefix_and_can_revoke(client_for, alice):
    key, raw = ApiKey.issue("svc", ["ailogs:write"])
    client = client_for(alice)
    page = client.get("/admin/monitoring_site/apikey/").content.decode()
    assert key.display in page and raw not in page
    response = client.post(
        "/admin/monitoring_site/apikey/", {"action": "revoke_keys", "_selected_action": [key.pk]}, follow=True
    )
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_admin_add_shows_the_key_once(client_for, alice):
    client = client_for(alice)
    response = client.post(
        "/admin/monitoring_site/apikey/add/", {"name": "new-svc", "scopes": ["ailogs:write"]}, follow=True
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(name="new-svc")
    shown = [str(m) for m in response.context["messages"]]
    raw = shown[0].rsplit(" ", 1)[-1]
    assert key.hashed_key == hash_key(raw)
    again = client.get(f"/admin/monitoring_site/apikey/{key.pk}/change/").content.decode()
    assert raw not in again


def test_moderators_and_plain_staff_cannot_reach_keys(client_for, mo, charlie):
    for user in (mo, charlie):
        response = client_for(user).get("/admin/monitoring_site/apikey/")
        assert response.status_code == 403
