import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from ailogs.models import AiCall, ModelPrice
from monitoring_site.models import AuditEvent

pytestmark = pytest.mark.django_db
LIST = "/admin/ailogs/aicall/"


@pytest.fixture
def calls():
    now = timezone.now()
    return AiCall.objects.bulk_create(
        [
            AiCall(
                function="chat",
                model="gpt-4o",
                status="error",
                duration_ms=5,
                trace_id="t-1",
                error_message='=HYPERLINK("http://evil")',
                timestamp=now - timedelta(minutes=1),
            ),
            AiCall(
                function="chat",
                model="gpt-4o",
                status="success",
                duration_ms=5,
                trace_id="t-2",
                output_preview="@SUM(A1)",
                timestamp=now - timedelta(minutes=2),
            ),
            AiCall(
                function="rank",
                model="claude",
                status="success",
                duration_ms=5,
                input_hash="c" * 64,
                timestamp=now - timedelta(minutes=3),
            ),
        ]
    )


def test_admins_see_filter_and_search_the_list(client_for, alice, calls):
    client = client_for(alice)
    assert client.get(LIST).status_code == 200
    assert client.get(LIST, {"status__exact": "error"}).context["cl"].result_count == 1
    assert client.get(LIST, {"q": "c" * 64}).context["cl"].result_count == 1
    assert client.get(LIST, {"q": "t-2"}).context["cl"].result_count == 1
    from ailogs import rollup

    rollup.run()
    page = client.get(LIST, {"model": "claude"})
    assert page.context["cl"].result_count == 1
    assert b"gpt-4o" in page.content  # filter choices come from the rollups
    assert client.get(f"{LIST}{calls[0].pk}/change/").status_code == 200


def test_calls_are_read_only(client_for, alice, calls):
    client = client_for(alice)
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{calls[0].pk}/change/", {"function": "x"}).status_code == 403
    assert client.post(f"{LIST}{calls[0].pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.parametrize("persona", ["mo", "charlie"])
def test_others_get_403(client_for, request, persona, calls):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}export/").status_code == 403
    assert client.get("/admin/ailogs/modelprice/").status_code == 403


def test_export_streams_the_filtered_list_neutralised_and_audited(client_for, alice, calls):
    response = client_for(alice).get(f"{LIST}export/", {"function": "chat"})
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "timestamp" and len(rows) == 3
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil")' in cells and "'@SUM(A1)" in cells
    event = AuditEvent.objects.get(kind="export")
    assert event.actor == alice and event.detail["filters"] == {"function": "chat"}


def test_admins_edit_prices(client_for, alice):
    response = client_for(alice).post(
        "/admin/ailogs/modelprice/add/",
        {
            "provider": "acme",
            "pattern": "acme-1*",
            "effective_from": "2025-01-01",
            "input_per_mtok": "1",
            "output_per_mtok": "2",
            "notes": "",
        },
    )
    assert response.status_code == 302
    assert ModelPrice.objects.get().pattern == "acme-1*"


@pytest.mark.parametrize(
    "params", [{"format": "csv"}, {"foo": "1"}, {"timestamp__gte": "bad"}, {"duration_ms__lt": "fast"}]
)
def test_export_answers_400_on_unknown_or_invalid_parameters(client_for, alice, calls, params):
    response = client_for(alice).get(f"{LIST}export/", params)
    assert response.status_code == 400
    assert next(iter(params)) in response.content.decode()
    assert not AuditEvent.objects.filter(kind="export").exists()


def test_export_keeps_the_changelist_parameters(client_for, alice, calls):
    params = {"status__exact": "success", "o": "1", "q": "t-2", "timestamp__gte": "2000-01-01"}
    response = client_for(alice).get(f"{LIST}export/", params)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 2 and rows[1][-1] == "t-2"
