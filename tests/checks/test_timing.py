"""When a check is up, in grace or down, with an injected clock (no sleeping, no frozen globals)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from checks.models import Check, Flip
from checks.services import set_paused, sweep_late
from tests.checks.conftest import MINUTE, T0, ping

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def test_a_new_check_is_never_late(make_check):
    check = make_check()
    assert sweep_late(T0 + timedelta(days=30)) == 0
    assert check.get_status(T0 + timedelta(days=30)) == "new"


def test_it_is_up_then_in_grace_then_down_after_the_sweep(make_check):
    check = ping(make_check(period_seconds=3600, grace_seconds=600))
    assert check.get_status(T0 + 59 * MINUTE) == "up"
    assert check.get_status(T0 + 61 * MINUTE) == "grace"
    assert sweep_late(T0 + 69 * MINUTE) == 0
    assert sweep_late(T0 + 70 * MINUTE) == 1
    check.refresh_from_db()
    assert check.status == "down"
    flip = check.flips.get(new_status="down")
    assert flip.created_at == T0 + 70 * MINUTE and "no ping since 2026-03-01 12:00:00" in flip.reason
    assert sweep_late(T0 + 80 * MINUTE) == 0  # flipped once, not every minute


def test_the_next_success_brings_it_back_up(make_check):
    check = ping(make_check(period_seconds=3600, grace_seconds=600))
    sweep_late(T0 + 2 * timedelta(hours=1))
    check = ping(check, at=T0 + 3 * timedelta(hours=1))
    assert check.status == "up"
    assert list(check.flips.order_by("created_at").values_list("new_status", flat=True)) == ["up", "down", "up"]


def test_a_ping_just_before_the_sweep_wins(make_check):
    check = ping(make_check(period_seconds=3600, grace_seconds=600))
    ping(check, at=T0 + 69 * MINUTE)
    assert sweep_late(T0 + 70 * MINUTE) == 0


def test_a_cron_check_is_due_at_the_next_match_in_its_time_zone(make_check):
    check = make_check(schedule="30 2 * * *", tz="Europe/Berlin", grace_seconds=1800)
    ping(check, at=datetime(2026, 3, 10, 2, 31, tzinfo=BERLIN))
    check.refresh_from_db()
    assert check.next_due() == datetime(2026, 3, 11, 2, 30, tzinfo=BERLIN)
    assert check.alert_after == datetime(2026, 3, 11, 3, 0, tzinfo=BERLIN)


def test_a_cron_check_survives_the_spring_forward_night(make_check):
    """02:30 does not exist in Berlin on 2026-03-29: the job runs at 03:00 and is not late."""
    check = make_check(schedule="30 2 * * *", tz="Europe/Berlin", grace_seconds=900)
    ping(check, at=datetime(2026, 3, 28, 2, 30, 5, tzinfo=BERLIN))
    check.refresh_from_db()
    assert check.next_due() == datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN)
    assert sweep_late(datetime(2026, 3, 29, 3, 10, tzinfo=BERLIN)) == 0
    assert sweep_late(datetime(2026, 3, 29, 3, 15, tzinfo=BERLIN)) == 1


def test_a_cron_check_is_not_due_twice_in_the_fall_back_night(make_check):
    """01:30 happens twice in Berlin on 2026-10-25; a ping at the first one is not late at the second."""
    check = make_check(schedule="30 1 * * *", tz="Europe/Berlin", grace_seconds=900)
    first = datetime(2026, 10, 25, 1, 30, 10, tzinfo=BERLIN)  # fold=0, CEST (UTC+2)
    ping(check, at=first)
    check.refresh_from_db()
    assert check.next_due().astimezone(UTC) > datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    assert sweep_late(datetime(2026, 10, 25, 2, 0, tzinfo=UTC)) == 0  # 01:30 CET + 30 min


def test_down_only_after_n_consecutive_failures(make_check):
    check = ping(make_check(failures_before_down=3))
    for i in (1, 2):
        check = ping(check, "fail", at=T0 + i * MINUTE)
        assert check.status == "up", f"down after {i} failure(s)"
    check = ping(check, "fail", at=T0 + 3 * MINUTE)
    assert check.status == "down"
    assert check.flips.get(new_status="down").reason == "failed 3 times in a row (last: fail ping)"


def test_a_success_resets_the_consecutive_count(make_check):
    check = ping(make_check(failures_before_down=2))
    for i, kind in enumerate(["fail", "success", "fail", "success", "fail"], start=1):
        check = ping(check, kind, at=T0 + i * MINUTE)
    assert check.status == "up"


def test_failure_rate_over_the_last_n_runs(make_check):
    """Flaky: never two failures in a row, but 3 of the last 5 runs failed (over 40 %)."""
    check = make_check(failures_before_down=5, failure_rate_percent=40, failure_rate_runs=5)
    runs = ["success", "fail", "success", "fail", "success"]
    for i, kind in enumerate(runs):
        check = ping(check, kind, at=T0 + i * MINUTE)
    assert check.status == "up"  # 2 of 5 = 40 %, not over
    check = ping(check, "fail", at=T0 + 5 * MINUTE)  # last 5: F S F S F = 60 %
    assert check.status == "down"
    assert check.flips.get(new_status="down").reason.startswith("60% of the last 5 runs failed")
    check = ping(check, "success", at=T0 + 6 * MINUTE)  # S F S F S = 40 %
    assert check.status == "up"


def test_failure_rate_waits_for_enough_runs(make_check):
    check = make_check(failures_before_down=5, failure_rate_percent=10, failure_rate_runs=10)
    check = ping(check, "fail")
    assert check.status == "up"


def test_a_paused_check_is_not_swept_and_a_ping_resumes_it(make_check):
    check = ping(make_check())
    set_paused(check, True, now=T0 + MINUTE)
    assert sweep_late(T0 + timedelta(days=2)) == 0
    check = ping(check, at=T0 + timedelta(days=2))
    assert check.status == "up"
    assert Flip.objects.filter(owner_check=check).order_by("-created_at").first().reason == "resumed by a ping"


def test_the_sweep_flips_many_checks_in_one_pass(make_check):
    checks = [ping(make_check(name=f"c{i}")) for i in range(30)]
    assert sweep_late(T0 + timedelta(hours=2)) == 30
    assert Check.objects.filter(status="down").count() == 30
    assert Flip.objects.filter(new_status="down").count() == len(checks)
