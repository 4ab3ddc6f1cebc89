import uuid
from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from metrics.models import MetricEventId, MetricSample

URL = "/api/v1/metrics/"


@pytest.fixture
def writer(api_client):
    return api_client("metrics:write")


def test_it_stores_one_sample_with_defaults(writer):
    response = writer.post(
        URL, {"name": "queue_wait_ms", "value": 12.5, "tags": {"queue": "b", "env": "prod"}}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json() == {"accepted": 1, "duplicates": 0, "errors": []}
    sample = MetricSample.objects.get()
    assert (sample.type, sample.value, sample.tags) == ("gauge", 12.5, {"env": "prod", "queue": "b"})
    assert list(sample.tags) == ["env", "queue"]  # canonical order
    assert abs(sample.timestamp - timezone.now()) < timedelta(minutes=1)


def test_it_stores_a_batch_and_counts_repeated_event_ids_as_duplicates(writer):
    event = str(uuid.uuid4())
    batch = [
        {"name": "jobs_done", "type": "counter", "value": i, "event_id": event if i < 2 else None} for i in range(5)
    ]
    response = writer.post(URL, batch, format="json")
    assert response.status_code == 201
    assert response.json() == {"accepted": 4, "duplicates": 1, "errors": []}
    again = writer.post(URL, batch[:1], format="json")
    assert again.json() == {"accepted": 0, "duplicates": 1, "errors": []}
    assert MetricSample.objects.count() == 4
    assert MetricEventId.objects.count() == 1


def test_it_stores_the_valid_part_of_a_batch_with_207(writer):
    batch = [
        {"name": "ok", "value": 1},
        {"name": "9bad", "value": 1},
        {"name": "ok", "value": "NaN"},
        {"name": "ok", "value": 1, "tags": {"k": 5}},
        {"name": "ok", "value": 1, "timestamp": (timezone.now() - timedelta(days=40)).isoformat()},
        {"name": "ok", "value": 1, "type": "meter", "event_id": "nope"},
    ]
    response = writer.post(URL, batch, format="json")
    assert response.status_code == 207
    body = response.json()
    assert body["accepted"] == 1
    errors = {e["index"]: e["errors"] for e in body["errors"]}
    assert set(errors) == {1, 2, 3, 4, 5}
    assert "name" in errors[1] and "value" in errors[2] and "tags" in errors[3] and "timestamp" in errors[4]
    assert set(errors[5]) == {"type", "event_id"}


@pytest.mark.parametrize(
    "body",
    [
        {"value": 1},
        {"name": "x", "value": True},
        {"name": "x"},
        [],
        "just a string",
        [{"name": "x", "value": 1}] * 1001,
    ],
)
def test_it_rejects_bodies_without_any_valid_sample_with_400(writer, body):
    response = writer.post(URL, body, format="json")
    assert response.status_code == 400
    assert MetricSample.objects.count() == 0


@pytest.mark.parametrize("number", ["Infinity", "NaN", "-Infinity"])
def test_it_rejects_non_finite_json_numbers(writer, number):
    response = writer.generic("POST", URL, f'{{"name": "x", "value": {number}}}', content_type="application/json")
    assert response.status_code == 400
    assert MetricSample.objects.count() == 0


def test_it_accepts_naive_timestamps_as_utc(writer):
    stamp = (timezone.now() - timedelta(hours=2)).replace(tzinfo=None, microsecond=0)
    writer.post(URL, {"name": "x", "value": 1, "timestamp": stamp.isoformat()}, format="json")
    assert MetricSample.objects.get().timestamp == stamp.replace(tzinfo=UTC)
