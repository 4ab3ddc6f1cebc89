"""Day rows beside the hour rows, and the HyperLogLog sketches behind long-window distinct counts."""

import random
import statistics
from datetime import UTC, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from ailogs import queries, retention, rollup
from ailogs.models import AiCall, AiCallHourly, AiCallSketch, RollupState
from metrics import queries as metrics_queries
from monitoring_site.lib.histogram import LogHistogram

pytestmark = pytest.mark.django_db
MODELS, TENANTS, STATUSES = ("a", "b", "c"), ("t1", "t2", ""), ("success", "success", "error", "timeout")
NUMBERS = ("count", "prompt_tokens", "completion_tokens", "total_tokens", "unpriced")


def midnight(days_ago: int = 0):
    return timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)


def calls_over_days(n: int, days: int, rng: random.Random, sessions: int = 500, users: int = 200) -> list[AiCall]:
    """n calls spread over the last `days` whole days and today so far."""
    start, span = midnight(days), (timezone.now() - midnight(days)).total_seconds()
    calls = [
        AiCall(
            timestamp=start + timedelta(seconds=rng.uniform(0, span - 1)),
            function=f"f{i % 4}",
            model=rng.choice(MODELS),
            tenant=rng.choice(TENANTS),
            status=rng.choice(STATUSES),
            duration_ms=rng.lognormvariate(5, 1) if i % 50 else 0.0,
            prompt_tokens=i % 70,
            completion_tokens=i % 30,
            total_tokens=i % 70 + i % 30,
            cost_usd=None if i % 13 == 0 else 0.001 * (i % 7),
            cost_source="unpriced" if i % 13 == 0 else "computed",
            session_id=f"s{rng.randrange(sessions)}",
            user_id=f"u{rng.randrange(users)}" if i % 9 else "",
            input_hash=f"{rng.randrange(n // 2):064x}" if i % 5 else "",
        )
        for i in range(n)
    ]
    AiCall.objects.bulk_create(calls, batch_size=2000)
    return calls


def snapshot() -> list[tuple]:
    fields = ("period", "grain", "hour", "model", "function", "provider", "tenant", "status", *NUMBERS)
    rows = AiCallHourly.objects.order_by(*fields).values_list(*fields, "cost_usd", "duration_sum", "histogram")
    return [(*r[:-3], round(r[-3], 9), round(r[-2], 6), LogHistogram.from_json(r[-1]).to_json()) for r in rows]


def test_day_rows_are_the_sums_of_their_hour_rows_and_of_the_raw_calls():
    calls = calls_over_days(3000, 3, random.Random(1))
    result = rollup.run()
    ended = [midnight(d) for d in (3, 2, 1)]
    assert result["days"] == 3
    for day in ended:
        in_day = [c for c in calls if day <= c.timestamp < day + timedelta(days=1)]
        for grain in AiCallHourly.Grain.values:
            rows = AiCallHourly.objects.filter(grain=grain)
            days = rows.filter(period="day", hour=day)
            hours = rows.filter(period="hour", hour__gte=day, hour__lt=day + timedelta(days=1))
            for name in NUMBERS:
                assert sum(r[0] for r in days.values_list(name)) == sum(r[0] for r in hours.values_list(name)), name
            assert sum(days.values_list("count", flat=True)) == len(in_day)
            assert sum(days.values_list("cost_usd", flat=True)) == pytest.approx(
                sum(c.cost_usd or 0 for c in in_day), rel=1e-9
            )
            merged_hours = LogHistogram()
            for histogram in hours.values_list("histogram", flat=True):
                merged_hours.merge(LogHistogram.from_json(histogram))
            merged_days = LogHistogram()
            for histogram in days.values_list("histogram", flat=True):
                merged_days.merge(LogHistogram.from_json(histogram))
            assert (
                merged_days.to_json()
                == merged_hours.to_json()
                == LogHistogram.of(c.duration_ms for c in in_day).to_json()
            )
    # today has not ended: no day row yet
    assert not AiCallHourly.objects.filter(period="day", hour=midnight(0)).exists()


def test_windows_read_through_day_rows_give_what_the_raw_calls_give():
    calls = calls_over_days(3000, 3, random.Random(2))
    rollup.run()
    since, until = midnight(3) + timedelta(hours=5, minutes=17), timezone.now()
    inside = [c for c in calls if since <= c.timestamp < until]
    stats, groups = queries.stats_with_groups(since, until, "model", {"tenant": "t1"})
    mine = [c for c in inside if c.tenant == "t1"]
    assert stats["count"] == len(mine)
    assert stats["errors"] == sum(c.status != "success" for c in mine)
    assert stats["total_tokens"] == sum(c.total_tokens for c in mine)
    assert stats["unpriced"] == sum(c.cost_source == "unpriced" for c in mine)
    assert stats["cost_usd"] == pytest.approx(sum(c.cost_usd or 0 for c in mine), abs=1e-6)
    exact = statistics.quantiles([c.duration_ms for c in mine], n=100, method="inclusive")
    assert stats["duration_ms"]["p95"] == pytest.approx(exact[94], rel=0.02)
    for model, group in groups.items():
        assert group["count"] == sum(c.model == model for c in mine)
    series = queries.hourly_series(since, until)
    assert sum(point["count"] for point in series) == len(inside)


def test_the_backfill_is_idempotent():
    calls_over_days(1500, 2, random.Random(3))
    rollup.run()
    first, sketches = (
        snapshot(),
        sorted(AiCallSketch.objects.values_list("day", "grain", "tenant", "hashed", "sessions")),
    )
    assert any(row[0] == "day" for row in first)
    rollup.run()  # nothing new
    assert snapshot() == first
    RollupState.objects.all().delete()  # forget the high-water mark: everything is rebuilt from scratch
    rollup.run()
    assert snapshot() == first
    assert sorted(AiCallSketch.objects.values_list("day", "grain", "tenant", "hashed", "sessions")) == sketches


def test_a_late_call_for_an_ended_day_rebuilds_that_day():
    calls_over_days(300, 2, random.Random(4))
    rollup.run()
    day = midnight(2)
    before = AiCallHourly.objects.get(period="day", grain="all", hour=day, status="success").count
    AiCall.objects.create(timestamp=day + timedelta(hours=3), function="f", model="a", duration_ms=5.0)
    assert rollup.run()["days"] >= 1
    assert AiCallHourly.objects.get(period="day", grain="all", hour=day, status="success").count == before + 1


def test_days_missing_their_rows_are_filled_in():
    calls_over_days(300, 2, random.Random(5))
    rollup.run()
    AiCallHourly.objects.filter(period="day").delete()  # as after the upgrade that added day rows
    rollup.run()
    assert set(AiCallHourly.objects.filter(period="day").values_list("hour", flat=True)) == {midnight(2), midnight(1)}


@override_settings(RETENTION_AI_LOGS_DAYS=90)
def test_the_purge_keeps_day_rows_and_sketches_like_hour_rows():
    calls_over_days(600, 3, random.Random(6))
    rollup.run()
    kept = snapshot(), sorted(AiCallSketch.objects.values_list("day", "grain", "tenant", "hashed", "sessions"))
    sessions = queries.active_sessions(midnight(3), midnight(0))
    with override_settings(RETENTION_AI_LOGS_DAYS=1):
        retention.purge(dry_run=False)
        rollup.run()
    assert not AiCall.objects.filter(timestamp__lt=midnight(1)).exists()
    assert (
        snapshot(),
        sorted(AiCallSketch.objects.values_list("day", "grain", "tenant", "hashed", "sessions")),
    ) == kept
    assert queries.active_sessions(midnight(3), midnight(0)) == sessions


def within(estimate: int, exact: int, error: float = 0.05) -> bool:
    """The sketches' stated error: 1.6 % standard error, so within 5 % (3 standard errors)."""
    return abs(estimate - exact) <= error * exact


def test_distinct_counts_over_whole_days_are_within_the_stated_error():
    calls = calls_over_days(24_000, 4, random.Random(7), sessions=9000, users=3000)
    rollup.run()
    since, until = midnight(4) + timedelta(hours=7), timezone.now()
    inside = [c for c in calls if since <= c.timestamp < until]
    assert queries.distinct_is_approximate(since, until)
    assert not queries.distinct_is_approximate(until - timedelta(hours=20), until)
    exact = len({c.session_id for c in inside})
    assert within(queries.active_sessions(since, until), exact)
    exact_t1 = len({c.session_id for c in inside if c.tenant == "t1"})
    assert within(queries.active_sessions(since, until, "t1"), exact_t1)
    hashed = [c.input_hash for c in inside if c.input_hash]
    share = queries.repeated_input_share(since, until)
    assert share["approximate"] and share["hashed"] == len(hashed)
    assert within(share["hashed"] - share["repeated"], len(set(hashed)))
    per_day = {}
    for c in inside:
        per_day.setdefault(c.timestamp.date(), (set(), set()))
        per_day[c.timestamp.date()][0].add(c.session_id)
        if c.user_id:
            per_day[c.timestamp.date()][1].add(c.user_id)
    rows = metrics_queries.sessions_per_day(since, until)
    assert [r["day"] for r in rows] == sorted(per_day)
    for row in rows:
        assert within(row["sessions"], len(per_day[row["day"]][0])), row
    for row in metrics_queries.daily_active_users(since, until):
        assert within(row["ai_users"], len(per_day[row["day"]][1])), row
        assert row["approximate"]
    # the partial days at both ends are counted exactly
    first, last = rows[0], rows[-1]
    assert (first["sessions"], last["sessions"]) == (len(per_day[first["day"]][0]), len(per_day[last["day"]][0]))


def test_the_day_sketches_count_the_users_of_calls_without_a_session():
    """PostgreSQL reads a day's users from its session rows, and from the calls that have no
    session: here those users are the day's majority, seen in no session row."""
    rng = random.Random(11)
    calls = calls_over_days(3000, 3, rng, sessions=300, users=150)
    start, span = midnight(3), (timezone.now() - midnight(3)).total_seconds()
    lone = [
        AiCall(
            timestamp=start + timedelta(seconds=rng.uniform(0, span - 1)),
            function="f",
            model="a",
            status="success",
            duration_ms=100.0,
            user_id=f"lone-{i}",
        )
        for i in range(2400)
    ]
    AiCall.objects.bulk_create(lone, batch_size=2000)
    rollup.run()
    since, until = midnight(3), midnight(0)
    users = {}
    for c in [*calls, *lone]:
        if since <= c.timestamp < until and c.user_id:
            users.setdefault(c.timestamp.date(), set()).add(c.user_id)
    rows = metrics_queries.daily_active_users(since, until)
    assert [r["day"] for r in rows] == sorted(users)
    for row in rows:
        assert row["approximate"]
        assert within(row["ai_users"], len(users[row["day"]])), row


def test_short_windows_stay_exact():
    calls = calls_over_days(500, 1, random.Random(8))
    rollup.run()
    until = timezone.now()
    since = until - timedelta(hours=20)
    assert queries.active_sessions(since, until) == len({c.session_id for c in calls if since <= c.timestamp < until})
    assert queries.repeated_input_share(since, until)["approximate"] is False


def test_six_hour_points_over_rolled_up_days_are_what_the_raw_calls_give():
    calls = calls_over_days(4000, 3, random.Random(21))
    rollup.run()
    six = AiCallHourly.objects.filter(period=AiCallHourly.Period.SIX_HOURS)
    assert set(six.values_list("grain", flat=True)) == {"all", "tenant"}
    assert {h.astimezone(UTC).hour for h in six.values_list("hour", flat=True)} == {0, 6, 12, 18}
    since, until = midnight(3) + timedelta(hours=4, minutes=10), timezone.now() - timedelta(minutes=1)
    for step in (timedelta(hours=6), timedelta(hours=12)):
        for tenant in (None, "t2"):
            expected: dict = {}
            for c in calls:
                if since <= c.timestamp < until and (tenant is None or c.tenant == tenant):
                    start = c.timestamp.timestamp() // step.total_seconds() * step.total_seconds()
                    point = expected.setdefault(start, {"count": 0, "errors": 0, "tokens": 0, "h": LogHistogram()})
                    point["count"] += 1
                    point["errors"] += c.status != "success"
                    point["tokens"] += c.total_tokens
                    point["h"].add(c.duration_ms)
            points = queries.series(since, until, step, {"tenant": tenant} if tenant else None)
            got = {p["hour"].timestamp(): p for p in points}
            assert set(got) == set(expected)
            for start, want in expected.items():
                point = got[start]
                assert (point["count"], point["errors"], point["total_tokens"]) == (
                    want["count"],
                    want["errors"],
                    want["tokens"],
                )
                # Durations are answered to the microsecond (3 decimals of a millisecond).
                assert point["duration_ms"]["p95"] == pytest.approx(want["h"].quantile(0.95), abs=1e-3)


@pytest.mark.django_db(transaction=True)
def test_a_backfill_on_two_connections_builds_the_rows_one_builds():
    """Outside a transaction (the beat task) a PostgreSQL backfill rebuilds whole days on
    rollup.BACKFILL_WORKERS connections at once; inside one it cannot (the other connections
    would not see the caller's rows) and runs them one after another."""
    from django.db import connection, transaction

    from ailogs.models import AiCallErrorDay, AiCallSessionBlock, AiCallSessionDay

    calls_over_days(2500, 4, random.Random(31))

    def everything():
        sessions = sorted(AiCallSessionDay.objects.values_list("day", "session_id", "calls", "errors", "traces"))
        blocks = sorted(AiCallSessionBlock.objects.values_list("day", "days", "session_id", "calls"))
        errors = sorted(AiCallErrorDay.objects.values_list("day", "function", "model", "error_message", "calls"))
        sketches = sorted(AiCallSketch.objects.values_list("day", "grain", "tenant", "hashed"))
        return snapshot(), sessions, blocks, errors, sketches

    assert not connection.in_atomic_block
    rollup.run()
    parallel = everything()
    assert parallel[0] and parallel[1]
    for model in (AiCallHourly, AiCallSketch, AiCallSessionDay, AiCallSessionBlock, AiCallErrorDay, RollupState):
        model.objects.all().delete()
    with transaction.atomic():
        rollup.run()
    assert everything() == parallel
