"""Ping URLs as a job calls them: every shape, methods, bodies, unknown codes, the rate limit."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from checks.models import Check, Ping

pytestmark = pytest.mark.django_db


@pytest.fixture
def check(make_check) -> Check:
    return make_check(name="Nightly backup")


def url(check: Check, tail: str = "") -> str:
    return f"/ping/{check.code}" + (f"/{tail}" if tail else "")


@pytest.mark.parametrize("method", ["get", "post", "head"])
def test_it_accepts_a_success_ping_by_get_post_and_head(client, check, method):
    response = getattr(client, method)(url(check))
    assert response.status_code == 200
    if method != "head":
        assert response.content == b"OK\n"
    check.refresh_from_db()
    assert check.status == "up" and check.last_ping is not None
    assert Ping.objects.get().kind == "success"


def test_it_records_start_fail_and_exit_statuses(client, check):
    for tail in ("start", "", "fail", "0", "3"):
        assert client.get(url(check, tail)).status_code == 200
    kinds = list(Ping.objects.order_by("n").values_list("kind", "exit_status"))
    assert kinds == [("start", None), ("success", None), ("fail", None), ("success", 0), ("fail", 3)]
    assert [p.n for p in Ping.objects.order_by("n")] == [1, 2, 3, 4, 5]


def test_it_measures_the_run_time_from_start_to_success(client, check):
    client.get(url(check, "start"))
    client.get(url(check))
    check.refresh_from_db()
    assert check.last_duration is not None and check.last_duration.total_seconds() >= 0
    assert Ping.objects.filter(kind="success").get().duration == check.last_duration


def test_a_fail_ping_marks_the_check_down_with_its_reason(client, check):
    client.get(url(check))
    client.get(url(check, "7"))
    check.refresh_from_db()
    assert check.status == "down"
    assert list(check.flips.order_by("created_at").values_list("new_status", "reason")) == [
        ("up", "success ping"),
        ("down", "failed (exit status 7)"),
    ]


@pytest.mark.parametrize("tail", ["256", "-1", "abc"])
def test_a_bad_exit_status_is_a_400_that_says_what_is_allowed(client, check, tail):
    response = client.get(url(check, tail))
    assert response.status_code == 400
    assert b"0-255" in response.content
    assert not Ping.objects.exists()


@pytest.mark.parametrize("code", [str(uuid.uuid4()), "not-a-uuid"])
def test_an_unknown_uuid_is_a_404_with_a_clear_body(client, db, code):
    response = client.get(f"/ping/{code}")
    assert response.status_code == 404
    assert b"no check has this ping URL" in response.content


def test_it_keeps_the_first_10_kb_of_the_body_as_the_log(client, check):
    client.post(url(check), data=b"backup done: 42 tables\n", content_type="text/plain")
    assert Ping.objects.get().body == "backup done: 42 tables\n"


def test_a_huge_body_is_cut_to_10_kb_and_marked(client, check):
    response = client.post(url(check, "fail"), data=b"x" * 5_000_000, content_type="text/plain")
    assert response.status_code == 200
    ping = Ping.objects.get()
    assert len(ping.body) == 10 * 1024 and ping.body_truncated


def test_put_is_refused(client, check):
    assert client.put(url(check)).status_code == 405


def test_it_rate_limits_pings_per_check(client, make_check, settings):
    settings.CHECKS_PING_RATE_LIMIT_PER_MINUTE = 3
    busy, other = make_check(name="busy"), make_check(name="other")
    statuses = [client.get(url(busy)).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert b"rate limited" in client.get(url(busy)).content
    assert client.get(url(other)).status_code == 200  # per check, not global
    assert Ping.objects.filter(owner=busy).count() == 3


def test_a_ping_needs_no_login_or_csrf_token(check):
    from django.test import Client

    assert Client(enforce_csrf_checks=True).post(url(check), data=b"log", content_type="text/plain").status_code == 200


def test_the_one_statement_success_path_stores_what_the_general_path_stores(make_check, monkeypatch):
    """On PostgreSQL a start and a plain success take one statement; they must leave the same rows."""
    from checks import ping_sql
    from tests.checks.conftest import MINUTE, T0, ping

    def run(check):
        for i, (kind, fields) in enumerate(
            [("success", {}), ("start", {}), ("success", {"exit_status": 0, "body": "log", "remote_addr": "10.0.0.1"})]
        ):
            check = ping(check, kind, at=T0 + i * MINUTE, **fields)
        return check

    fast = run(make_check(name="fast"))
    monkeypatch.setattr(ping_sql, "record", lambda *args: ping_sql.OTHER)
    general = run(make_check(name="general"))
    fields = ["status", "n_pings", "last_ping", "last_start", "last_duration", "alert_after", "consecutive_failures"]
    assert [getattr(fast, f) for f in fields] == [getattr(general, f) for f in fields]
    columns = ["n", "created_at", "kind", "exit_status", "remote_addr", "body", "duration"]
    assert list(fast.pings.order_by("n").values_list(*columns)) == list(
        general.pings.order_by("n").values_list(*columns)
    )
    assert fast.last_duration == MINUTE


def test_a_plain_success_or_a_start_is_one_statement_on_postgresql(client, make_check, settings):
    """One prepared statement per ping (prepared once per connection); sent whole behind PgBouncer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    check = make_check()
    client.get(url(check))  # new -> up: the general path
    for tail in ("", "start"):
        client.get(url(check, tail))  # prepares each statement on this connection
    with CaptureQueriesContext(connection) as queries:
        for tail in ("start", "", ""):
            assert client.get(url(check, tail)).status_code == 200
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["EXECUTE"] * 3
    settings.DATABASE_POOLER = "pgbouncer"
    with CaptureQueriesContext(connection) as queries:
        for tail in ("start", ""):
            assert client.get(url(check, tail)).status_code == 200
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["WITH"] * 2
    check.refresh_from_db()
    assert check.n_pings == check.pings.count() == 8
    assert check.last_duration is not None and check.status == "up"


@pytest.mark.django_db(transaction=True)
def test_a_ping_on_a_connection_the_server_dropped_is_stored_on_a_new_one(client, make_check):
    """Pings skip Django's SELECT 1 before a request's first statement; a stale connection
    fails the statement, which runs once more on a fresh connection."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    check = make_check()
    client.get(url(check))
    client.get(url(check))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    import psycopg

    settings_dict = connection.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"], port=settings_dict["PORT"], user=settings_dict["USER"],
        dbname=settings_dict["NAME"], autocommit=True,
    ) as other:  # fmt: skip
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert client.get(url(check)).status_code == 200
    check.refresh_from_db()
    assert check.n_pings == check.pings.count() == 3


def test_a_ping_keeps_the_security_headers_and_request_metrics_and_sets_no_cookie(client, check):
    """Pings skip sessions, auth, CSRF and messages (checks.middleware), not these."""
    from metrics.recorder import recorder

    recorder.drain()
    response = client.post(url(check), data=b"log", content_type="text/plain", HTTP_X_REQUEST_ID="cron-42")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Request-ID"] == "cron-42"
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies and "Vary" not in response
    assert {key[1:3] for key in recorder.drain()} == {("/ping/<str:code>", "POST")}


def test_pings_need_no_cache(client, check, settings):
    """The rate limit is counted in the check's row: pings are stored, and limited, with the cache down."""
    settings.CHECKS_PING_RATE_LIMIT_PER_MINUTE = 2
    settings.CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:56199/0",  # nothing listens there
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    assert [client.get(url(check)).status_code for _ in range(3)] == [200, 200, 429]
    check.refresh_from_db()
    assert check.n_pings == 2


@pytest.mark.parametrize("path", ["one statement", "general"])
@pytest.mark.parametrize("kinds", [["start"] * 4, ["success"] * 4, ["start", "", "fail", "1"]])
def test_the_rate_limit_counts_every_kind_of_ping_on_either_path(
    client, make_check, settings, monkeypatch, path, kinds
):
    from checks import ping_sql

    settings.CHECKS_PING_RATE_LIMIT_PER_MINUTE = 3
    check = make_check()
    client.get(url(check))  # new -> up
    if path == "general":
        monkeypatch.setattr(ping_sql, "record", lambda *args: ping_sql.OTHER)
    with time_machine.travel(datetime(2026, 3, 1, 12, 0, 1, tzinfo=UTC), tick=False):
        statuses = [client.get(url(check, "" if kind == "success" else kind)).status_code for kind in kinds]
        assert client.get(url(check)).content == b"rate limited: at most 3 pings per minute\n"
    assert statuses == [200, 200, 200, 429]
    check.refresh_from_db()
    assert check.n_pings == check.pings.count() == 4  # the first ping and three in the full minute


def test_a_full_minute_refuses_pings_until_the_next_minute(client, check, settings):
    settings.CHECKS_PING_RATE_LIMIT_PER_MINUTE = 2
    statuses = []
    for second in (0, 20, 40, 59, 60, 61, 62):
        with time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=UTC) + timedelta(seconds=second), tick=False):
            statuses.append(client.get(url(check)).status_code)
    assert statuses == [200, 200, 429, 429, 200, 200, 429]
    check.refresh_from_db()
    assert check.n_pings == check.pings.count() == 4


def test_a_limited_ping_changes_nothing(client, make_check, settings):
    """No ping stored, no state moved, no flip: a down check stays down when a full minute refuses its success."""
    settings.CHECKS_PING_RATE_LIMIT_PER_MINUTE = 1
    check = make_check()
    with time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), tick=False):
        assert client.get(url(check, "fail")).status_code == 200
        before = Check.objects.values().get(pk=check.pk)
        assert client.get(url(check)).status_code == 429
        assert client.get(url(check, "start")).status_code == 429
    assert Check.objects.values().get(pk=check.pk) == before
    assert before["status"] == "down" and check.pings.count() == 1 and check.flips.count() == 1


def test_an_unknown_code_is_404_however_often_it_is_pinged(client, settings):
    settings.CHECKS_PING_RATE_LIMIT_PER_MINUTE = 1
    code = uuid.uuid4()
    assert [client.get(f"/ping/{code}").status_code for _ in range(3)] == [404] * 3


def test_a_ping_updates_its_check_in_place_on_postgresql(client, make_check):
    """No index covers a column a ping changes, so PostgreSQL updates the row in place (HOT),
    writing no index entry: the update ran ~0.3 ms of database CPU cheaper per ping."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("HOT updates are PostgreSQL's")
    check = make_check()
    client.get(url(check))  # new -> up: the general path

    def hot_updates() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_get_xact_tuples_hot_updated('checks_check'::regclass)")
            return cursor.fetchone()[0]

    before = hot_updates()
    for tail in ("start", "", "start", ""):
        assert client.get(url(check, tail)).status_code == 200
    assert hot_updates() - before == 4


def test_a_job_pinging_in_a_loop_costs_the_database_one_statement_a_minute(client, check, settings):
    """Once this process saw a check's minute full, it refuses the rest of that minute without a query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.CHECKS_PING_RATE_LIMIT_PER_MINUTE = 1
    with time_machine.travel(datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC), tick=False):
        assert [client.get(url(check)).status_code for _ in range(2)] == [200, 429]
        with CaptureQueriesContext(connection) as queries:
            assert [client.get(url(check)).status_code for _ in range(3)] == [429] * 3
        assert queries.captured_queries == []
    with time_machine.travel(datetime(2026, 3, 1, 12, 1, 5, tzinfo=UTC), tick=False):
        assert client.get(url(check)).status_code == 200  # the next minute
    check.refresh_from_db()
    assert check.n_pings == check.pings.count() == 2
