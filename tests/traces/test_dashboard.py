"""The dashboard's AI tab: slowest traces and most expensive sessions, linked to their pages."""

import pytest

from tests.ailogs.helpers import price
from tests.traces.helpers import agent_run

pytestmark = pytest.mark.django_db


def section(client, key: str, query: str = "") -> dict:
    sections = client.get(f"/admin/dashboard/ai/data/{query}").json()["sections"]
    return next(s for s in sections if s["key"] == key)


def test_the_ai_tab_lists_the_slowest_traces_and_the_most_expensive_sessions(client_for, alice, api_client):
    price(pattern="gpt-4o-mini*", inp="0.15", out="0.60")
    trace_id = agent_run(api_client, session="conv-cheap")
    agent_run(api_client, session="conv-dear")
    agent_run(api_client, session="conv-dear")
    tables = {t["id"]: t for t in section(client_for(alice), "ai_traces")["tables"]}
    slowest = tables["slowest_traces"]["rows"]
    assert len(slowest) == 3 and slowest[0][0]["text"] == "answer_question"
    assert any(row[0]["href"].endswith(f"/trace/{trace_id}/") for row in slowest)
    sessions = tables["expensive_sessions"]["rows"]
    assert [row[0]["text"] for row in sessions] == ["conv-dear", "conv-cheap"]
    assert sessions[0][0]["href"].endswith("/sessions/conv-dear/")


def test_the_tenant_control_narrows_both_tables(client_for, alice, api_client):
    agent_run(api_client, session="a", tenant="acme")
    agent_run(api_client, session="b", tenant="globex")
    tables = {t["id"]: t for t in section(client_for(alice), "ai_traces", "?tenant=globex")["tables"]}
    assert len(tables["slowest_traces"]["rows"]) == 1
    assert [row[0]["text"] for row in tables["expensive_sessions"]["rows"]] == ["b"]


def test_moderators_do_not_get_the_ai_tab(client_for, mo):
    assert client_for(mo).get("/admin/dashboard/ai/data/").status_code == 403
