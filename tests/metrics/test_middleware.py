from datetime import timedelta

import pytest
from django.test import override_settings

from conftest import wait_for
from metrics import queries
from metrics.models import RequestMinute
from metrics.recorder import RequestRecorder, recorder


@pytest.fixture
def fresh_recorder():
    recorder.drain()
    yield recorder
    recorder.drain()


def test_it_aggregates_requests_in_memory_without_touching_the_database(
    client, fresh_recorder, django_assert_num_queries, db
):
    with django_assert_num_queries(0):
        for _ in range(5):
            client.get("/healthz?live")
        client.get("/no/such/page/")
    series = fresh_recorder.drain()
    by_route = {(k[1], k[2], k[3]): v.count for k, v in series.items()}
    assert by_route == {("/healthz", "GET", "2xx"): 5, ("<unmatched>", "GET", "4xx"): 1}


def test_it_records_the_url_pattern_not_the_raw_path(alice, client_for, fresh_recorder):
    client_for(alice).get(f"/admin/auth/user/{alice.pk}/change/")
    routes = {key[1] for key in fresh_recorder.drain()}
    assert "/admin/auth/user/<path:object_id>/change/" in routes
    assert not any(str(alice.pk) in route for route in routes)


def test_a_flush_writes_one_row_per_minute_route_method_and_status_class(db, fresh_recorder, now):
    t = now.timestamp()
    for ms in range(1, 101):
        fresh_recorder.record("/api/v1/x/", "GET", 200, ms, now=t)
    fresh_recorder.record("/api/v1/x/", "GET", 503, 900, now=t)
    fresh_recorder.record("/api/v1/x/", "POST", 429, 1, now=t)
    assert fresh_recorder.flush() == 3
    assert fresh_recorder.flush() == 0
    rows = {(r.method, r.status_class): r for r in RequestMinute.objects.all()}
    assert rows[("GET", "2xx")].count == 100 and rows[("GET", "2xx")].duration_sum_ms == 5050
    minute = now.replace(second=0, microsecond=0)
    summary = queries.http_summary(minute, minute + timedelta(minutes=1))
    assert (summary["requests"], summary["errors_5xx"], summary["errors_4xx"], summary["rate_limited"]) == (
        102,
        1,
        1,
        1,
    )
    assert summary["error_rate_5xx"] == pytest.approx(100 / 102, abs=0.001)
    assert summary["p50_ms"] == pytest.approx(51, rel=0.03)
    assert summary["p95_ms"] == pytest.approx(96, rel=0.03)
    assert summary["requests_per_minute"] == 102


def test_rows_from_several_processes_add_up(db, now):
    first, second = RequestRecorder(), RequestRecorder()
    for instance in (first, second):
        instance.process = f"proc-{id(instance)}"
        instance.record("/r/", "GET", 200, 5.0, now=now.timestamp())
        instance.flush()
    minute = now.replace(second=0, microsecond=0)
    assert queries.http_summary(minute, minute + timedelta(minutes=1), "/r/")["requests"] == 2


def test_a_failed_flush_keeps_the_counts_for_the_next_one(db, fresh_recorder, now, monkeypatch):
    fresh_recorder.record("/r/", "GET", 200, 5.0, now=now.timestamp())

    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(RequestMinute.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        fresh_recorder.flush()
    monkeypatch.undo()
    assert fresh_recorder.flush() == 1


@pytest.mark.django_db(transaction=True)
@override_settings(METRICS_REQUEST_FLUSH_SECONDS=3600, METRICS_REQUEST_MAX_KEYS=3)
def test_the_flush_thread_writes_when_the_size_threshold_is_reached(now):
    instance = RequestRecorder()
    for index in range(3):
        instance.record(f"/route{index}/", "GET", 200, 1.0, now=now.timestamp())
    instance.record("/route0/", "GET", 200, 1.0, now=now.timestamp())  # wakes the thread
    wait_for(lambda: RequestMinute.objects.count() == 3)
    assert sum(RequestMinute.objects.values_list("count", flat=True)) == 4


def test_routes_lists_each_route_once_busiest_first(db, now):
    instance = RequestRecorder()
    for minutes_ago, route, hits in ((1, "/a/", 1), (2, "/a/", 1), (1, "/b/", 3)):
        for _ in range(hits):
            instance.record(route, "GET", 200, 5.0, now=(now - timedelta(minutes=minutes_ago)).timestamp())
    instance.flush()
    rows = queries.routes(now - timedelta(minutes=5), now)
    assert [(row["route"], row["requests"]) for row in rows] == [("/b/", 3), ("/a/", 2)]
