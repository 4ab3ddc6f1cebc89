"""The one-pass msgspec decode (ailogs.ingest.decode_valid) stores exactly what the field-by-field
path stores, and leaves every error to that path, so the answers are the same."""

import json
import uuid

import pytest

from ailogs.ingest import Context, convert_valid, decode_valid, validate
from ailogs.models import AiCall
from tests.ailogs.helpers import event, price

pytestmark = pytest.mark.django_db
URL = "/api/v1/ai-logs/"
COLUMNS = [f.attname for f in AiCall._meta.concrete_fields if f.attname not in ("id",)]


@pytest.fixture
def writer(api_client):
    return api_client("ailogs:write")


VALID = [
    event(event_id=str(uuid.uuid4()), timestamp="2026-12-01T10:00:00Z"),
    event(timestamp="2026-12-01T10:00:00", status="error", error_message="boom é", tenant="t1", cost_usd=0.25),
    event(input={"b": [1, 2.5], "a": "x"}, metadata={"cached_tokens": 40, "k": "v"}, total_tokens=7),
    event(input="plain prompt", output_preview="y" * 900, prompt_tokens=0, completion_tokens=None, trace_id="tr"),
    event(input_hash="AB" * 32, duration_ms=0, provider=None, unknown_key=[1, 2]),
]


@pytest.mark.parametrize(
    "one_pass", [decode_valid, lambda body: convert_valid(json.loads(body))], ids=["body", "decoded"]
)
def test_it_builds_the_rows_the_field_checks_build(settings, one_pass):
    settings.RETENTION_AI_LOGS_DAYS = 3650
    price()
    context = Context()
    body = json.dumps(VALID).encode()
    fast = one_pass(body)
    assert fast is not None
    checked = [validate(item, context) for item in json.loads(body)]
    assert [errors for _, errors in checked] == [{}] * len(VALID)
    slow = [row for row, _ in checked]
    for item, fast_row, slow_row in zip(VALID, fast, slow, strict=True):
        assert fast_row.keys() == slow_row.keys()
        if "timestamp" not in item:  # "now", taken by each path's own clock
            assert abs(fast_row.pop("timestamp") - slow_row.pop("timestamp")).total_seconds() < 60
        assert fast_row == slow_row


@pytest.mark.parametrize(
    "item",
    [
        event(prompt_tokens=5.0),  # an integral float: valid, but typed more narrowly by msgspec
        event(status=""),  # "" means the default
        event(function=""),
        event(duration_ms=-1),
        event(timestamp="not a date"),
        event(status=["error"]),
        event(status={"a": 1}),
        event(model="m" * 101),
        event(input_hash="xyz"),
    ],
)
def test_it_leaves_anything_unusual_to_the_field_checks(item):
    assert decode_valid(json.dumps([event(), item]).encode()) is None
    assert convert_valid([event(), item]) is None


@pytest.mark.parametrize("field", ["function", "model", "output_preview", "metadata"])
def test_decoded_events_with_a_lone_surrogate_are_left_to_the_field_checks(field):
    assert convert_valid([event(), _with_surrogate(field)]) is None


def test_a_list_or_object_as_status_is_a_400_naming_the_field(writer):
    response = writer.post(URL, [event(status=["error"]), event(status={"x": 1})], format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [e["index"] for e in errors] == [0, 1]
    assert all(list(e["errors"]) == ["status"] for e in errors)
    assert "not a valid choice" in errors[0]["errors"]["status"][0]


SURROGATE_FIELDS = ["function", "model", "tenant", "output_preview", "error_message", "input", "metadata"]


def _with_surrogate(field: str) -> dict:
    return event(**{field: {"k": "\ud800"} if field == "metadata" else "a\ud800"})


@pytest.mark.parametrize("field", SURROGATE_FIELDS)
def test_a_lone_surrogate_in_a_body_is_a_400_naming_the_field(writer, field):
    body = json.dumps([event(), _with_surrogate(field)])  # ensure_ascii: it travels as the escape \ud800
    response = writer.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert f"[1].{field}" in response.content.decode() and "surrogate" in response.content.decode()
    assert AiCall.objects.count() == 0


@pytest.mark.parametrize("field", SURROGATE_FIELDS)
def test_events_handed_over_already_decoded_get_the_same_field_error(field):
    """Other entry points (e.g. OTLP spans as event dicts) skip the parser: ingest() names the field."""
    from ailogs.ingest import ingest

    body = ingest([_with_surrogate(field), event()])
    assert body["accepted"] == 1
    [error] = body["errors"]
    assert error["index"] == 0 and list(error["errors"]) == [field]
    assert "surrogate" in error["errors"][field][0]
    assert AiCall.objects.count() == 1


def test_a_valid_batch_takes_the_one_pass_path_and_answers_as_before(writer, monkeypatch):
    from ailogs import ingest as ingest_module

    def no_slow_path(items):
        raise AssertionError("the field-by-field path was used for a valid body")

    monkeypatch.setattr("ailogs.api.ingest", no_slow_path)
    batch = [event(event_id=str(uuid.uuid4())) for _ in range(3)]
    response = writer.post(URL, batch + [batch[0]], format="json")
    assert response.status_code == 201
    assert response.json() == {"accepted": 3, "duplicates": 1, "errors": []}
    assert ingest_module.decode_valid(json.dumps(event()).encode()) is not None  # one object, not a list
