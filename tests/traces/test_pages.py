"""The trace, sessions and session pages in the admin: Admins only, and what they show."""

import pytest

from ailogs.models import AiCall
from feedback.models import Feedback
from tests.ailogs.helpers import event, price
from tests.traces.helpers import agent_run, export, new_span_id, new_trace_id, post, span

pytestmark = pytest.mark.django_db


def test_admins_see_the_trace_waterfall_with_tokens_cost_and_errors(client_for, alice, api_client):
    price(pattern="gpt-4o-mini*", inp="0.15", out="0.60")
    trace_id = agent_run(api_client, error="order service down")
    response = client_for(alice).get(f"/admin/traces/span/trace/{trace_id}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="wf-row') == 4
    assert "order service down" in page
    assert 'data-summary="tokens">240<' in page
    assert 'data-summary="errors" class="trace-bad">1<' in page
    rows = response.context["rows"]
    assert [r["depth"] for r in rows] == [0, 1, 1, 1]  # children under their parent, in start order


@pytest.mark.parametrize("persona", ["mo", "charlie"])
def test_moderators_and_role_less_staff_get_403(client_for, persona, request, api_client):
    trace_id = agent_run(api_client)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(f"/admin/traces/span/trace/{trace_id}/").status_code == 403
    assert client.get("/admin/traces/span/sessions/").status_code == 403
    assert client.get("/admin/traces/span/sessions/conv-1/").status_code == 403


def test_the_sessions_list_sums_cost_errors_and_feedback_and_filters_by_tenant(client_for, alice, api_client):
    price(pattern="gpt-4o-mini*", inp="0.15", out="0.60")
    first = agent_run(api_client, session="conv-1")
    agent_run(api_client, session="conv-1", error="order service down")
    agent_run(api_client, session="conv-2", tenant="globex")
    Feedback.objects.create(message="wrong answer", trace_id=first)
    client = client_for(alice)
    rows = {r["session_id"]: r for r in client.get("/admin/traces/span/sessions/").context["rows"]}
    assert (rows["conv-1"]["traces"], rows["conv-1"]["calls"], rows["conv-1"]["feedback"]) == (2, 4, 1)
    assert rows["conv-1"]["errors"] == 1  # the failed tool span counts, though no AI call failed
    assert rows["conv-1"]["cost_usd"] == pytest.approx(4 * (100 * 0.15 + 20 * 0.60) / 1e6)
    only = client.get("/admin/traces/span/sessions/?tenant=globex&range=7d").context["rows"]
    assert [r["session_id"] for r in only] == ["conv-2"]


def test_the_session_page_lists_its_traces_in_order_with_links(client_for, alice, api_client):
    first, second = agent_run(api_client), agent_run(api_client, error="timeout")
    response = client_for(alice).get("/admin/traces/span/sessions/conv-1/")
    assert [r["trace_id"] for r in response.context["rows"]] == [first, second]
    assert [r["root"] for r in response.context["rows"]] == ["answer_question"] * 2
    assert [r["errors"] for r in response.context["rows"]] == [0, 1]
    assert f"/admin/traces/span/trace/{first}/" in response.content.decode()
    assert client_for(alice).get("/admin/traces/span/sessions/nobody/").status_code == 404


def test_ai_calls_and_feedback_link_to_the_trace_page(client_for, alice, api_client):
    trace_id = agent_run(api_client)
    api_client("ailogs:write").post("/api/v1/ai-logs/", [event(trace_id="json-only-trace")], format="json")
    client = client_for(alice)
    listing = client.get("/admin/ailogs/aicall/").content.decode()
    assert f"/admin/traces/span/trace/{trace_id}/" in listing
    assert "/admin/traces/span/trace/json-only-trace/" in listing
    assert client.get("/admin/traces/span/trace/json-only-trace/").status_code == 200
    item = Feedback.objects.create(message="slow", trace_id=trace_id)
    assert (
        f"/admin/traces/span/trace/{trace_id}/"
        in client.get(f"/admin/feedback/feedback/{item.pk}/change/").content.decode()
    )
    assert AiCall.objects.filter(trace_id=trace_id).count() == 2


def test_a_session_whose_trace_id_cannot_be_a_url_still_renders(client_for, alice, api_client):
    api_client("ailogs:write").post("/api/v1/ai-logs/", [event(trace_id="a/b", session_id="s-slash")], format="json")
    response = client_for(alice).get("/admin/traces/span/sessions/s-slash/")
    assert response.status_code == 200
    assert response.context["rows"][0]["url"] == ""


def test_the_span_list_links_to_sessions_and_each_span_to_its_trace(client_for, alice, api_client):
    trace_id = agent_run(api_client)
    page = client_for(alice).get("/admin/traces/span/").content.decode()
    assert 'href="/admin/traces/span/sessions/"' in page
    assert f"/admin/traces/span/trace/{trace_id}/" in page


def tool_run(api_client, session: str, error: str = "") -> str:
    """A trace that made no model call: a root span and one tool span under it."""
    trace_id, root = new_trace_id(), new_span_id()
    who = {"session.id": session, "tenant.id": "acme", "user.id": "u-1"}
    spans = [
        span("nightly_sync", trace_id, root, attributes=who, duration_ms=500),
        span("fetch_orders", trace_id, parent=root, duration_ms=400, error=error),
    ]
    assert post(api_client("traces:write"), export(*spans)).status_code == 200
    return trace_id.hex()


def test_a_session_of_traces_without_ai_calls_is_listed_and_has_its_page(client_for, alice, api_client):
    only_tools = tool_run(api_client, session="batch-7", error="orders API 502")
    client = client_for(alice)
    rows = {r["session_id"]: r for r in client.get("/admin/traces/span/sessions/").context["rows"]}
    assert (rows["batch-7"]["traces"], rows["batch-7"]["calls"], rows["batch-7"]["errors"]) == (1, 0, 1)
    response = client.get("/admin/traces/span/sessions/batch-7/")
    assert response.status_code == 200
    assert [(r["trace_id"], r["root"], r["calls"]) for r in response.context["rows"]] == [
        (only_tools, "nightly_sync", 0)
    ]
    assert f"/admin/traces/span/trace/{only_tools}/" in response.content.decode()


def test_a_sessions_trace_without_ai_calls_counts_beside_its_ai_traces(client_for, alice, api_client):
    with_calls = agent_run(api_client, session="conv-9")
    only_tools = tool_run(api_client, session="conv-9")
    client = client_for(alice)
    rows = {r["session_id"]: r for r in client.get("/admin/traces/span/sessions/").context["rows"]}
    assert (rows["conv-9"]["traces"], rows["conv-9"]["calls"]) == (2, 2)
    page = client.get("/admin/traces/span/sessions/conv-9/").context["rows"]
    assert [r["trace_id"] for r in page] == [with_calls, only_tools]
