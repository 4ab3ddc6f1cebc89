"""Our stdlib client nests: calls inside `trace()` become child spans of the right parent."""

import pytest

from ailogs.models import AiCall
from monitoring_site.models import ApiKey
from tests.ailogs.helpers import price
from tests.ailogs.test_client import aimon
from traces.models import Span

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(live_server):
    raw = ApiKey.issue("client", ["ailogs:write"])[1]
    client = aimon.Client(live_server.url, raw, flush_interval=0.05, service_name="support-bot")
    yield client
    client.close(5)


def test_calls_inside_a_trace_are_child_spans_and_priced_ai_calls(client):
    price(pattern="gpt-4o-mini*", inp="0.15", out="0.60")
    with client.trace("answer_question", session_id="conv-3", tenant="acme") as root:
        with client.trace("retrieve"):
            with client.track("embed", model="gpt-4o-mini", provider="openai") as call:
                call["prompt_tokens"] = 50
        event_id = client.log_call(
            "draft",
            80.0,
            model="gpt-4o-mini",
            provider="openai",
            prompt_tokens=1000,
            completion_tokens=200,
            input="the prompt",
            metadata={"cached_tokens": 0},
        )
    assert client.flush(20)
    spans = {s.name: s for s in Span.objects.filter(trace_id=root.trace_id)}
    assert set(spans) == {"answer_question", "retrieve", "embed", "draft"}
    assert spans["answer_question"].parent_span_id == ""
    assert spans["retrieve"].parent_span_id == root.span_id
    assert spans["embed"].parent_span_id == spans["retrieve"].span_id
    assert spans["draft"].parent_span_id == root.span_id
    assert spans["answer_question"].service_name == "support-bot"
    calls = {c.function: c for c in AiCall.objects.filter(trace_id=root.trace_id)}
    assert set(calls) == {"embed", "draft"}
    draft = calls["draft"]
    assert str(draft.event_id) == event_id  # the id log_call returned is the one stored
    assert (draft.session_id, draft.tenant, draft.prompt_tokens) == ("conv-3", "acme", 1000)
    assert draft.cost_usd == pytest.approx((1000 * 0.15 + 200 * 0.60) / 1e6)
    assert len(draft.input_hash) == 64
    assert client.stats["sent"] == 4 and client.stats["dropped"] == 0


def test_a_failing_block_marks_its_span_and_call_and_calls_outside_stay_plain(client):
    with pytest.raises(TimeoutError):
        with client.trace("agent_run"):
            with client.track("slow_model", model="m"):
                raise TimeoutError("model took too long")
    client.log_call("outside", 5.0)
    assert client.flush(20)
    failed = AiCall.objects.get(function="slow_model")
    assert failed.status == "timeout"
    assert failed.error_message.startswith("TimeoutError")
    assert Span.objects.get(name="agent_run").status_message.startswith("TimeoutError")
    assert AiCall.objects.get(function="outside").trace_id == ""
