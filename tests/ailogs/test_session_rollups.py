"""Sessions and cost by actor type over long windows: per-day session and actor-type rows for the
whole days, raw calls for the partial days at the ends, the same figures as the raw calls give."""

import random
from collections import defaultdict
from datetime import UTC, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from ailogs import queries, retention, rollup
from ailogs.models import (
    AiCall,
    AiCallActorDay,
    AiCallErrorDay,
    AiCallSessionBlock,
    AiCallSessionDay,
    RollupState,
)
from traces import queries as traces_queries

pytestmark = pytest.mark.django_db
TENANTS, STATUSES, ACTORS = ("t1", "t2", ""), ("success", "success", "error", "timeout"), ("user", "agent", "")


def midnight(days_ago: int = 0):
    return timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)


def calls_over_days(n: int, days: int, rng: random.Random, sessions: int = 40) -> list[AiCall]:
    """n calls over the last `days` whole days and today so far; a session keeps one tenant and
    one user, and about one call in ten has no session."""
    start, span = midnight(days), (timezone.now() - midnight(days)).total_seconds()
    calls = []
    for i in range(n):
        s = rng.randrange(sessions)
        calls.append(
            AiCall(
                timestamp=start + timedelta(seconds=rng.uniform(0, span - 1)),
                function=f"f{i % 3}",
                model="m",
                tenant=TENANTS[s % 3],
                status=rng.choice(STATUSES),
                duration_ms=10.0,
                total_tokens=i % 90,
                cost_usd=None if i % 11 == 0 else (i % 7) / 1024,  # sums exact in binary: ties stay ties
                cost_source="unpriced" if i % 11 == 0 else "computed",
                session_id="" if i % 10 == 0 else f"s{s}",
                user_id=f"u{s % 7}",
                actor_type=rng.choice(ACTORS),
                trace_id=f"tr{s}-{rng.randrange(4)}" if i % 4 else "",
            )
        )
    AiCall.objects.bulk_create(calls, batch_size=2000)
    return calls


def expected_sessions(calls, since, until, tenant: str = "") -> dict[str, dict]:
    """What grouping the raw calls gives, per session."""
    found: dict[str, dict] = {}
    for c in calls:
        if not (since <= c.timestamp < until) or not c.session_id or (tenant and c.tenant != tenant):
            continue
        row = found.setdefault(
            c.session_id, {"calls": 0, "errors": 0, "cost_usd": 0.0, "total_tokens": 0, "traces": set()}
        )
        row["calls"] += 1
        row["errors"] += c.status != "success"
        row["cost_usd"] += c.cost_usd or 0.0
        row["total_tokens"] += c.total_tokens
        row["traces"].add(c.trace_id)
        row["first_seen"] = min(row.get("first_seen", c.timestamp), c.timestamp)
        row["last_seen"] = max(row.get("last_seen", c.timestamp), c.timestamp)
        row["tenant"], row["user_id"] = c.tenant, c.user_id
    return found


def assert_same(rows: list[dict], expected: dict[str, dict]) -> None:
    assert {r["session_id"] for r in rows} == set(expected)
    for row in rows:
        want = expected[row["session_id"]]
        assert (row["calls"], row["errors"], row["total_tokens"]) == (
            want["calls"],
            want["errors"],
            want["total_tokens"],
        ), row["session_id"]
        assert row["cost_usd"] == pytest.approx(want["cost_usd"], abs=1e-9)
        assert (row["first_seen"], row["last_seen"]) == (want["first_seen"], want["last_seen"])
        assert (row["tenant"], row["user_id"]) == (want["tenant"], want["user_id"])
        assert row["traces"] == len(want["traces"])


def test_sessions_over_whole_days_and_partial_edges_are_what_the_raw_calls_give():
    calls = calls_over_days(4000, 4, random.Random(1))
    rollup.run()
    assert AiCallSessionDay.objects.exists()
    since, until = midnight(4) + timedelta(hours=5, minutes=17), timezone.now() - timedelta(minutes=3)
    assert queries.distinct_is_approximate(since, until)  # the window holds whole rolled-up days
    expected = expected_sessions(calls, since, until)
    rows = queries.sessions(since, until, limit=1000)
    assert_same(rows, expected)
    assert [r["session_id"] for r in rows] == sorted(expected, key=lambda s: expected[s]["last_seen"], reverse=True)
    top = queries.sessions(since, until, order="-cost_usd", limit=5)
    assert [r["session_id"] for r in top] == [
        r["session_id"] for r in sorted(rows, key=lambda r: (-r["cost_usd"], r["session_id"]))[:5]
    ]


def test_the_rollup_path_ranks_as_the_raw_path_does():
    calls = calls_over_days(3000, 3, random.Random(2))
    since, until = midnight(3) + timedelta(hours=2), midnight(0) + timedelta(minutes=30)
    raw = queries.sessions(since, until, order="-cost_usd", limit=8)  # nothing rolled up yet: raw rows
    assert not queries.distinct_is_approximate(since, until)
    rollup.run()
    assert queries.distinct_is_approximate(since, until)
    rolled = queries.sessions(since, until, order="-cost_usd", limit=8)
    assert [r["session_id"] for r in rolled] == [r["session_id"] for r in raw]
    assert_same(
        rolled, {s: v for s, v in expected_sessions(calls, since, until).items() if s in {r["session_id"] for r in raw}}
    )


def test_the_tenant_and_user_filters_narrow_the_rolled_up_sessions():
    calls = calls_over_days(3000, 3, random.Random(3))
    rollup.run()
    since, until = midnight(3) + timedelta(hours=9), timezone.now()
    assert_same(
        queries.sessions(since, until, {"tenant": "t2"}, limit=1000), expected_sessions(calls, since, until, "t2")
    )
    mine = queries.sessions(since, until, {"user_id": "u3"}, limit=1000)
    assert mine and all(r["user_id"] == "u3" for r in mine)
    assert {r["session_id"] for r in mine} == {
        s for s, row in expected_sessions(calls, since, until).items() if row["user_id"] == "u3"
    }
    dashboard = traces_queries.most_expensive_sessions(since, until, limit=3, tenant="t1")
    assert dashboard and all(r["tenant"] == "t1" for r in dashboard)


def test_a_late_call_for_an_ended_day_rebuilds_its_session_rows():
    calls_over_days(600, 2, random.Random(4))
    rollup.run()
    day = midnight(2)
    AiCall.objects.create(
        timestamp=day + timedelta(hours=3), function="f", duration_ms=5.0, session_id="late", cost_usd=0.5,
        cost_source="computed", actor_type="robot", trace_id="tr-late",
    )  # fmt: skip
    assert rollup.run()["days"] >= 1
    row = AiCallSessionDay.objects.get(day=day, session_id="late")
    assert (row.calls, row.cost_usd, row.traces) == (1, 0.5, ["tr-late"])
    assert AiCallActorDay.objects.get(day=day, actor_type="robot").cost_usd == 0.5
    found = queries.sessions(midnight(2) - timedelta(hours=1), timezone.now(), {"session_id": "late"})
    assert [(r["session_id"], r["calls"], r["traces"]) for r in found] == [("late", 1, 1)]


def test_cost_by_actor_type_over_whole_days_is_what_the_raw_calls_give():
    calls = calls_over_days(3000, 3, random.Random(5))
    rollup.run()
    since, until = midnight(3) + timedelta(hours=13), timezone.now()
    assert queries.distinct_is_approximate(since, until)
    for tenant in (None, "t1"):
        expected = defaultdict(float)
        for c in calls:
            if since <= c.timestamp < until and (tenant is None or c.tenant == tenant):
                expected[c.actor_type] += c.cost_usd or 0.0
        got = queries.cost_by_actor_type(since, until, tenant)
        assert set(got) == set(expected)
        for actor, cost in expected.items():
            assert got[actor] == pytest.approx(cost, abs=1e-5)


def test_session_rows_are_rebuilt_from_scratch_the_same():
    calls_over_days(800, 17, random.Random(6))
    rollup.run()
    fields = ("day", "tenant", "session_id", "user_id", "calls", "errors", "total_tokens", "first_seen", "last_seen")
    first = sorted(AiCallSessionDay.objects.values_list(*fields, "traces"))
    actors = sorted(AiCallActorDay.objects.values_list("day", "tenant", "actor_type", "calls"))
    errors = sorted(AiCallErrorDay.objects.values_list("day", "function", "model", "error_message", "calls"))
    blocks = sorted(AiCallSessionBlock.objects.values_list(*fields))
    RollupState.objects.all().delete()
    rollup.run()
    assert sorted(AiCallSessionDay.objects.values_list(*fields, "traces")) == first
    assert sorted(AiCallErrorDay.objects.values_list("day", "function", "model", "error_message", "calls")) == errors
    assert sorted(AiCallSessionBlock.objects.values_list(*fields)) == blocks
    assert sorted(AiCallActorDay.objects.values_list("day", "tenant", "actor_type", "calls")) == actors


@override_settings(RETENTION_AI_LOGS_DAYS=90)
def test_the_purge_keeps_session_and_actor_rows_like_the_day_rows():
    calls_over_days(900, 3, random.Random(7))
    rollup.run()
    since, until = midnight(3), midnight(0)
    sessions = queries.sessions(since, until, order="-cost_usd", limit=1000)
    actors = queries.cost_by_actor_type(since, until)
    kept = sorted(AiCallSessionDay.objects.values_list("day", "session_id", "calls"))
    with override_settings(RETENTION_AI_LOGS_DAYS=1):
        retention.purge(dry_run=False)
        AiCall.objects.create(timestamp=midnight(2) + timedelta(hours=1), function="f", duration_ms=1.0)
        rollup.run()  # a late call for a purged day: its rows stay as they were
    assert not AiCall.objects.filter(timestamp__lt=midnight(1), session_id__startswith="s").exists()
    assert sorted(AiCallSessionDay.objects.values_list("day", "session_id", "calls")) == kept
    assert queries.sessions(since, until, order="-cost_usd", limit=1000) == sessions
    assert queries.cost_by_actor_type(since, until) == actors


def test_an_unknown_order_is_refused():
    with pytest.raises(ValueError):
        queries.sessions(midnight(1), midnight(0), order="-metadata")


def test_sessions_over_whole_session_blocks_are_what_the_raw_calls_give():
    calls = calls_over_days(5000, 20, random.Random(8), sessions=30)
    rollup.run()
    blocks = sorted(set(AiCallSessionBlock.objects.values_list("day", "days")))
    # the ended days of each block: the current one up to today
    assert [min(b + rollup.BLOCK, midnight(0)) for b, _ in blocks] == [b + timedelta(days=n) for b, n in blocks]
    assert blocks[-1][0] + rollup.BLOCK > midnight(0)
    since, until = midnight(20) + timedelta(hours=7), timezone.now() - timedelta(minutes=1)
    used = queries._session_blocks(midnight(19), midnight(0))
    assert used == [(b, b + timedelta(days=n)) for b, n in blocks if b >= midnight(19)] != []
    for tenant in ("", "t1"):
        expected = expected_sessions(calls, since, until, tenant)
        rows = queries.sessions(since, until, {"tenant": tenant}, order="-cost_usd", limit=1000)
        assert_same(rows, expected)
        assert [r["session_id"] for r in rows] == [
            s for s, _ in sorted(expected.items(), key=lambda item: (-round(item[1]["cost_usd"], 9), item[0]))
        ]
        for order in ("first_seen", "-calls", "errors"):
            ranked = queries.sessions(since, until, {"tenant": tenant}, order=order, limit=1000)
            field = order.lstrip("-")
            keys = [(r[field], r["session_id"]) for r in ranked]
            assert keys == sorted(keys, key=lambda k: (k[0] if order[0] != "-" else -k[0], k[1]))
            assert_same(ranked, expected)


def test_a_late_call_rebuilds_its_session_block():
    calls_over_days(2000, 18, random.Random(9), sessions=10)
    rollup.run()
    block = min(set(AiCallSessionBlock.objects.values_list("day", flat=True)))
    AiCall.objects.create(
        timestamp=block + timedelta(days=2, hours=3), function="f", duration_ms=5.0, session_id="late",
        cost_usd=0.5, cost_source="computed",
    )  # fmt: skip
    rollup.run()
    row = AiCallSessionBlock.objects.get(day=block, session_id="late")
    assert (row.calls, row.cost_usd) == (1, 0.5)
    found = queries.sessions(block - timedelta(hours=1), timezone.now(), {"session_id": "late"})
    assert [(r["session_id"], r["calls"], r["cost_usd"]) for r in found] == [("late", 1, 0.5)]


def failing_calls(n: int, days: int, rng: random.Random) -> list[AiCall]:
    start, span = midnight(days), (timezone.now() - midnight(days)).total_seconds()
    calls = [
        AiCall(
            timestamp=start + timedelta(seconds=rng.uniform(0, span - 1)),
            function=f"f{i % 3}",
            model=f"m{i % 2}",
            tenant=("acme", "globex", "")[i % 5 % 3],
            status=rng.choice(STATUSES),
            duration_ms=10.0,
            error_message=rng.choice(("rate limited", "timed out", "", "bad request " * 40)),
        )
        for i in range(n)
    ]
    AiCall.objects.bulk_create(calls, batch_size=2000)
    return calls


def expected_errors(calls, since, until, tenant: str = "") -> dict[tuple, tuple]:
    found: dict[tuple, tuple] = {}
    for c in calls:
        if since <= c.timestamp < until and c.status != "success" and (not tenant or c.tenant == tenant):
            key = (c.error_message, c.function, c.model)
            n, last = found.get(key, (0, c.timestamp))
            found[key] = (n + 1, max(last, c.timestamp))
    return found


def test_top_errors_over_whole_days_are_what_the_raw_calls_give():
    calls = failing_calls(3000, 4, random.Random(10))
    since, until = midnight(4) + timedelta(hours=3), timezone.now() - timedelta(minutes=2)
    raw = queries.top_errors(since, until, limit=100)  # nothing rolled up yet: raw rows
    rollup.run()
    assert AiCallErrorDay.objects.exists() and queries.distinct_is_approximate(since, until)
    rolled = queries.top_errors(since, until, limit=100)
    assert rolled == raw
    expected = expected_errors(calls, since, until)
    assert {(r["error_message"], r["function"], r["model"]): (r["count"], r["last_seen"]) for r in rolled} == expected
    keys = [(-r["count"], -r["last_seen"].timestamp()) for r in rolled]
    assert keys == sorted(keys)
    assert queries.top_errors(since, until, limit=3) == rolled[:3]


def test_top_errors_of_one_tenant_are_that_tenants_failed_calls_only():
    calls = failing_calls(3000, 4, random.Random(12))
    since, until = midnight(4) + timedelta(hours=3), timezone.now() - timedelta(minutes=2)
    raw = {tenant: queries.top_errors(since, until, limit=100, tenant=tenant) for tenant in ("acme", "globex")}
    rollup.run()
    for tenant in ("acme", "globex"):
        rolled = queries.top_errors(since, until, limit=100, tenant=tenant)
        assert rolled == raw[tenant]
        found = {(r["error_message"], r["function"], r["model"]): (r["count"], r["last_seen"]) for r in rolled}
        assert found == expected_errors(calls, since, until, tenant)
    everyone = sum(r["count"] for r in queries.top_errors(since, until, limit=100))
    assert sum(r["count"] for r in raw["acme"]) + sum(r["count"] for r in raw["globex"]) < everyone


def test_a_late_failed_call_rebuilds_its_error_rows():
    failing_calls(500, 2, random.Random(11))
    rollup.run()
    day = midnight(2)
    AiCall.objects.create(
        timestamp=day + timedelta(hours=5), function="late", model="m", status="error", duration_ms=1.0,
        error_message="late failure",
    )  # fmt: skip
    rollup.run()
    assert AiCallErrorDay.objects.get(day=day, function="late").calls == 1
    top = queries.top_errors(day - timedelta(hours=2), timezone.now(), limit=1000)
    assert [r["count"] for r in top if r["function"] == "late"] == [1]


def test_a_sessions_trace_ids_at_any_time_are_the_same_before_and_after_the_rollup():
    calls = calls_over_days(2000, 3, random.Random(13))
    ids = [f"s{i}" for i in range(0, 40, 3)]
    expected = {(c.session_id, c.trace_id) for c in calls if c.session_id in ids and c.trace_id}
    assert queries.session_trace_ids(ids) == expected  # nothing rolled up: the raw calls
    rollup.run()
    assert AiCallSessionDay.objects.filter(session_id__in=ids, day__lt=midnight(0)).exists()
    assert queries.session_trace_ids(ids) == expected  # ended days from their session rows
    AiCall.objects.create(
        timestamp=timezone.now() - timedelta(seconds=5), function="f", model="m", duration_ms=1.0,
        session_id=ids[0], trace_id="tr-new",
    )  # fmt: skip
    assert (ids[0], "tr-new") in queries.session_trace_ids(ids)  # today's calls from the raw table


def test_a_sessions_traces_read_through_its_active_days_are_all_of_them():
    calls = calls_over_days(2000, 3, random.Random(14))
    ids = [f"s{i}" for i in range(0, 40, 5)]
    before = {s: queries.session_traces(s) for s in ids}  # nothing rolled up: every raw call
    rollup.run()
    assert {s: queries.session_traces(s) for s in ids} == before
    for session_id in ids:
        want = defaultdict(int)
        for c in calls:
            if c.session_id == session_id:
                want[c.trace_id] += 1
        assert {r["trace_id"]: r["calls"] for r in before[session_id]} == want
    AiCall.objects.create(
        timestamp=timezone.now() - timedelta(seconds=5), function="f", model="m", duration_ms=1.0,
        session_id=ids[0], trace_id="tr-today",
    )  # fmt: skip
    assert "tr-today" in {r["trace_id"] for r in queries.session_traces(ids[0])}
