import csv
import io
from datetime import timedelta

import pytest

from metrics.models import MetricSample
from monitoring_site.models import AuditEvent

ADMIN_PAGES = [
    "/admin/metrics/metricsample/",
    "/admin/metrics/metricrollup/",
    "/admin/metrics/requestminute/",
    "/admin/metrics/metricsample/export/",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_moderators_and_staff_without_role_get_403_on_the_metric_browser(mo, charlie, client_for, url):
    for user in (mo, charlie):
        assert client_for(user).get(url).status_code == 403


@pytest.mark.parametrize("url", ADMIN_PAGES[:3])
def test_admins_browse_metrics(alice, client_for, samples, now, url):
    samples("cpu", [1, 2], now - timedelta(minutes=5))
    assert client_for(alice).get(url, {"window": "24h"}).status_code == 200


def test_the_csv_export_streams_the_filtered_rows_neutralises_formulas_and_is_audited(alice, client_for, samples, now):
    samples("cpu", [1.5], now - timedelta(minutes=5), tags={"host": '=HYPERLINK("x")'})
    samples("other", [2.5], now - timedelta(minutes=5))
    response = client_for(alice).get("/admin/metrics/metricsample/export/", {"name": "cpu"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["timestamp", "name", "type", "value"]
    assert len(rows) == 2 and rows[1][1] == "cpu" and rows[1][3] == "1.5"
    assert rows[1][5] == 'host==HYPERLINK("x")'  # does not start with "=": the key comes first
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.EXPORT)
    assert event.actor == alice and event.detail["filters"] == {"name": "cpu"}


def test_formula_cells_get_a_leading_quote():
    from monitoring_site.lib.csv_export import neutralise

    assert [neutralise(v) for v in ("=1+1", "+cmd", "-2", "@x", "ok", -2.0)] == [
        "'=1+1",
        "'+cmd",
        "'-2",
        "'@x",
        "ok",
        -2.0,
    ]


@pytest.mark.parametrize(
    "method,url,scope",
    [("post", "/api/v1/metrics/", "metrics:write"), ("get", "/api/v1/metrics/summary/?name=x", "metrics:read")],
)
def test_the_api_needs_the_right_scope_or_the_admin_role(method, url, scope, api_client, client_for, mo, alice, uma):
    body = {"name": "x", "value": 1}
    assert getattr(api_client(), method)(url, body, format="json").status_code == 403
    other = "metrics:read" if scope == "metrics:write" else "metrics:write"
    assert getattr(api_client(other), method)(url, body, format="json").status_code == 403
    assert getattr(api_client(scope), method)(url, body, format="json").status_code in (200, 201)
    from rest_framework.test import APIClient

    assert getattr(APIClient(), method)(url, body, format="json").status_code == 401
    for user, expected in ((mo, 403), (uma, 403)):
        client = APIClient()
        client.force_login(user)
        assert getattr(client, method)(url, body, format="json").status_code == expected
    admin = APIClient(enforce_csrf_checks=False)
    admin.force_login(alice)
    assert getattr(admin, method)(url, body, format="json").status_code in (200, 201)
    assert MetricSample.objects.filter(name="x").count() == (2 if method == "post" else 0)
