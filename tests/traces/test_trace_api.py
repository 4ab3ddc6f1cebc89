"""GET /api/v1/traces/{trace_id}/: the spans of a trace with their parents, and its AI calls."""

import pytest

from tests.ailogs.helpers import event
from tests.traces.helpers import export, genai_attributes, new_span_id, new_trace_id, post, span

pytestmark = pytest.mark.django_db


def test_it_returns_the_spans_with_parent_ids_and_the_ai_calls(api_client):
    trace_id, root = new_trace_id(), new_span_id()
    chat = span("chat", trace_id, parent=root, attributes=genai_attributes())
    post(api_client("traces:write"), export(span("agent", trace_id, root), chat))
    response = api_client("ailogs:read").get(f"/api/v1/traces/{trace_id.hex()}/")
    assert response.status_code == 200
    body = response.json()
    spans = {s["name"]: s for s in body["spans"]}
    assert spans["agent"]["parent_span_id"] == ""
    assert spans["chat"]["parent_span_id"] == root.hex()
    assert body["ai_calls"][0]["span_id"] == chat.span_id.hex()
    assert body["total_tokens"] == 120


def test_a_trace_id_known_only_from_json_ingest_shows_its_calls(api_client):
    api_client("ailogs:write").post("/api/v1/ai-logs/", [event(trace_id="order-42")], format="json")
    body = api_client("ailogs:read").get("/api/v1/traces/order-42/").json()
    assert body["spans"] == [] and len(body["ai_calls"]) == 1


def test_an_unknown_trace_is_404_and_a_write_key_may_not_read(api_client):
    assert api_client("ailogs:read").get(f"/api/v1/traces/{'ab' * 16}/").status_code == 404
    assert api_client("traces:write").get(f"/api/v1/traces/{'ab' * 16}/").status_code == 403
