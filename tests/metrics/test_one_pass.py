"""The one-pass msgspec decode (metrics.ingest.decode_valid) builds the rows the hand checks build
and leaves every error to them, so the answers cannot change."""

import json
import uuid

import pytest

from metrics.ingest import Bounds, decode_valid, validate

pytestmark = pytest.mark.django_db

VALID = [
    {"name": "latency_ms", "value": 12},
    {"name": "queue:depth", "value": -3.5, "type": "counter", "tags": {"z": "1", "a": "2"}, "unit": "ms"},
    {"name": "x", "value": 1e300, "event_id": str(uuid.uuid4()), "timestamp": "2026-12-01T10:00:00", "route": "/r"},
    {"name": "y", "value": 0, "tags": None, "source": "svc", "extra": [1]},
]


def test_it_builds_the_rows_the_field_checks_build(settings):
    settings.RETENTION_METRIC_SAMPLES_DAYS = 3650
    from django.utils import timezone

    bounds = Bounds.at(timezone.now())
    fast = decode_valid(json.dumps(VALID).encode())
    assert fast is not None
    for item, fast_row in zip(VALID, fast, strict=True):
        slow_row = validate(json.loads(json.dumps(item)), bounds)
        assert list(fast_row) == list(slow_row)
        if "timestamp" not in item:
            assert abs(fast_row.pop("timestamp") - slow_row.pop("timestamp")).total_seconds() < 60
        assert fast_row == slow_row


@pytest.mark.parametrize(
    "item",
    [
        {"name": "bad name", "value": 1},
        {"name": "x", "value": True},
        {"name": "x", "value": 1, "type": None},
        {"name": "x", "value": 1, "tags": {"a__b": "1"}},
        {"name": "x", "value": 1, "tags": {"a": 1}},
        {"name": "x", "value": 1, "timestamp": "yesterday"},
        {"name": "x", "value": 1, "timestamp": "1990-01-01T00:00:00Z"},
        {"name": "x", "value": 1, "event_id": "nope"},
    ],
)
def test_it_leaves_anything_unusual_to_the_field_checks(item):
    assert decode_valid(json.dumps([{"name": "ok", "value": 1}, item]).encode()) is None


def test_a_valid_body_and_an_invalid_one_answer_as_the_contract_says(api_client):
    writer = api_client("metrics:write")
    sample = {"name": "m", "value": 1, "event_id": str(uuid.uuid4())}
    response = writer.post("/api/v1/metrics/", [sample, sample], format="json")
    assert response.status_code == 201 and response.json() == {"accepted": 1, "duplicates": 1, "errors": []}
    response = writer.post("/api/v1/metrics/", [{"name": "m", "value": 2}, {"name": "m", "value": "x"}], format="json")
    assert response.status_code == 207
    assert response.json()["errors"] == [{"index": 1, "errors": {"value": ["A number is required."]}}]
