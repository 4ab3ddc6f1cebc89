import hashlib
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from ailogs.models import AiCall
from tests.ailogs.helpers import event, with_id

URL = "/api/v1/ai-logs/"


@pytest.fixture
def writer(api_client):
    return api_client("ailogs:write")


def test_it_stores_a_single_event(writer):
    response = writer.post(URL, event(input="what is 2+2?", output_preview="x" * 900), format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"accepted": 1, "duplicates": 0, "errors": []}
    call = AiCall.objects.get()
    assert call.input_hash == hashlib.sha256(b"what is 2+2?").hexdigest()
    assert len(call.output_preview) == 500
    assert call.total_tokens == 120
    assert call.status == "success"


def test_it_stores_a_batch_in_one_go(writer, django_assert_max_num_queries):
    batch = [with_id(function=f"f{i % 7}") for i in range(300)]
    from django.db import connection

    # PostgreSQL: key, prices, stage, COPY, INSERT. SQLite's bulk_create splits by its variable limit.
    with django_assert_max_num_queries(10 if connection.vendor == "postgresql" else 20):
        response = writer.post(URL, batch, format="json")
    assert response.status_code == 201
    assert response.json()["accepted"] == 300
    assert AiCall.objects.count() == 300


def test_it_never_stores_the_input_itself(writer):
    writer.post(URL, event(input={"messages": [{"role": "user", "content": "secret prompt"}]}), format="json")
    row = AiCall.objects.values().get()
    assert "secret prompt" not in str(row)


def test_it_accepts_the_valid_part_of_a_batch_with_207(writer):
    batch = [event(), event(duration_ms=-1), event(status="weird", function=""), event()]
    response = writer.post(URL, batch, format="json")
    assert response.status_code == 207
    body = response.json()
    assert body["accepted"] == 2
    assert [e["index"] for e in body["errors"]] == [1, 2]
    assert "duration_ms" in body["errors"][0]["errors"]
    assert set(body["errors"][1]["errors"]) == {"status", "function"}
    assert AiCall.objects.count() == 2


def test_it_answers_400_when_nothing_is_valid(writer):
    response = writer.post(URL, [event(duration_ms="slow"), {"function": "x"}], format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["errors"]["duration_ms"] == ["A valid number is required."]
    assert errors[1]["errors"]["duration_ms"] == ["This field is required."]
    assert AiCall.objects.count() == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"event_id": "not-a-uuid"},
        {"timestamp": "yesterday"},
        {"timestamp": "2999-01-01T00:00:00Z"},
        {"timestamp": "2000-01-01T00:00:00Z"},
        {"prompt_tokens": -3},
        {"prompt_tokens": 1.5},
        {"completion_tokens": True},
        {"input_hash": "abc"},
        {"metadata": ["not", "an", "object"]},
        {"metadata": {"blob": "x" * 9000}},
        {"model": "m" * 101},
        {"cost_usd": "free"},
        {"function": 42},
    ],
)
def test_it_rejects_each_bad_field_with_a_field_error(writer, bad):
    response = writer.post(URL, [event(**bad)], format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"][0]["errors"]) == [next(iter(bad))]


def test_it_rejects_bodies_that_are_not_events(writer):
    assert writer.post(URL, [], format="json").status_code == 400
    assert writer.post(URL, "hello", format="json").status_code == 400
    assert writer.post(URL, [event()] * 1001, format="json").status_code == 400
    assert writer.post(URL, b"{nope", content_type="application/json").status_code == 400


def test_it_counts_duplicates_and_stores_them_once(writer):
    batch = [with_id(), with_id()]
    assert writer.post(URL, batch, format="json").json() == {"accepted": 2, "duplicates": 0, "errors": []}
    again = writer.post(URL, batch + [with_id()], format="json").json()
    assert again == {"accepted": 1, "duplicates": 2, "errors": []}
    assert AiCall.objects.count() == 3


def test_it_counts_a_repeat_inside_one_batch_as_duplicate(writer):
    same = with_id()
    body = writer.post(URL, [same, same], format="json").json()
    assert body == {"accepted": 1, "duplicates": 1, "errors": []}


def test_it_keeps_client_fields(writer):
    trace = str(uuid.uuid4())
    writer.post(
        URL,
        event(
            status="timeout",
            trace_id=trace,
            tenant="acme",
            user_id="u1",
            session_id="s1",
            actor_type="agent",
            metadata={"k": 1},
            timestamp=(timezone.now() - timedelta(days=1)).replace(microsecond=0).isoformat(),
        ),
        format="json",
    )
    call = AiCall.objects.get()
    assert (call.status, call.trace_id, call.tenant, call.metadata) == ("timeout", trace, "acme", {"k": 1})
    assert abs(call.timestamp - (timezone.now() - timedelta(days=1))) < timedelta(minutes=5)


def test_it_rejects_an_overflowing_number(writer):
    body = b'[{"function": "f", "duration_ms": 1e999}]'
    response = writer.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["errors"] == {"duration_ms": ["A valid number is required."]}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"duration_ms": 1.7e308}, "Ensure this value is less than or equal to 86400000 (one day)."),
        ({"duration_ms": 86_400_000.5}, "Ensure this value is less than or equal to 86400000 (one day)."),
        ({"cost_usd": 1.7e308}, "Ensure this value is less than or equal to 1000000."),
        ({"prompt_tokens": 1_000_000_001}, "Ensure this value is between 0 and 1000000000."),
        ({"completion_tokens": 2147483647}, "Ensure this value is between 0 and 1000000000."),
        ({"total_tokens": 2**40}, "Ensure this value is between 0 and 1000000000."),
    ],
)
def test_it_bounds_every_number_so_sums_cannot_overflow(writer, bad, message):
    response = writer.post(URL, [event(**bad)], format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["errors"] == {next(iter(bad)): [message]}
    assert AiCall.objects.count() == 0


def test_it_stores_the_largest_accepted_numbers_and_their_total(writer):
    big = {"duration_ms": 86_400_000, "cost_usd": 1_000_000, "prompt_tokens": 10**9, "completion_tokens": 10**9}
    response = writer.post(URL, [event(**big), event(**big)], format="json")
    assert response.status_code == 201
    assert AiCall.objects.filter(total_tokens=2 * 10**9).count() == 2
    from ailogs.queries import window_stats

    now = timezone.now()
    totals = window_stats(now - timedelta(hours=1), now + timedelta(minutes=1))
    assert totals["total_tokens"] == 4 * 10**9 and totals["cost_usd"] == 2_000_000
