from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from metrics import partitions, retention, rollups, windows
from metrics.models import MetricEventId, MetricRollup, MetricSample, RequestMinute, RollupBucket
from metrics.recorder import RequestRecorder


def test_rollup_metrics_prints_what_it_did_and_is_idempotent(samples, now):
    hour = windows.floor(now, "hour") - timedelta(hours=2)
    samples("m", [1, 2, 3, 4], hour, tags={"a": "1"})
    samples("m", [10], hour, tags={"a": "2"})
    out = StringIO()
    call_command("rollup_metrics", "--hours", "3", stdout=out)
    assert "Rolled up 3 hour(s)" in out.getvalue()
    call_command("rollup_metrics", "--hours", "3", stdout=StringIO())
    rollup = MetricRollup.objects.get(name="m", tags={"a": "1"}, period="hour")
    assert (rollup.bucket, rollup.count, rollup.sum, rollup.min, rollup.max, rollup.p50) == (hour, 4, 10, 1, 4, 2.5)
    assert MetricRollup.objects.filter(name="m").count() == 2
    assert RollupBucket.objects.filter(period="hour").count() == 3


def test_rollups_include_this_sites_requests(db, now):
    hour = windows.floor(now, "hour") - timedelta(hours=1)
    recorder = RequestRecorder()
    for ms in (5, 15):
        recorder.record("/api/v1/metrics/", "POST", 201, ms, now=(hour + timedelta(minutes=3)).timestamp())
    recorder.flush()
    rollups.rollup_hour(hour)
    rollup = MetricRollup.objects.get(name="http_request_duration_ms")
    assert rollup.tags == {"method": "POST", "route": "/api/v1/metrics/", "status_class": "2xx"}
    assert (rollup.count, rollup.sum) == (2, 20)


def test_a_day_is_rolled_up_only_when_all_its_hours_are(samples, now):
    day = windows.floor(now, "day") - timedelta(days=2)
    samples("d", [1.0] * 48, day, spacing=timedelta(minutes=30))
    assert rollups.rollup_day(day) is None
    for hour in range(24):
        rollups.rollup_hour(day + timedelta(hours=hour))
    assert rollups.rollup_day(day) == 1
    assert MetricRollup.objects.get(period="day", name="d").count == 48


def test_retention_drops_old_raw_data_and_old_rollups(samples, now, settings):
    settings.RETENTION_METRIC_SAMPLES_DAYS = 2
    settings.RETENTION_METRIC_ROLLUPS_DAYS = 5
    samples("old", [1, 2], now - timedelta(days=4))
    samples("new", [1], now - timedelta(hours=1))
    MetricEventId.objects.create(event_id="5b8e7a1e-4b3d-4a3c-9a7e-1f2f3b4c5d6e")
    MetricEventId.objects.filter().update(created_at=now - timedelta(days=4))
    RequestMinute.objects.create(
        minute=now - timedelta(days=4),
        route="/",
        method="GET",
        status_class="2xx",
        count=1,
        duration_sum_ms=1,
        duration_min_ms=1,
        duration_max_ms=1,
    )
    old_hour = windows.floor(now, "hour") - timedelta(days=9)
    rollups.rollup_hour(old_hour)
    MetricRollup.objects.create(
        period="hour", bucket=old_hour, name="x", tags={}, tags_hash="0", count=1, sum=1, min=1, max=1
    )
    assert retention.purge(dry_run=True)["metric samples"] == 2
    assert MetricSample.objects.count() == 3
    result = retention.purge(dry_run=False)
    assert (
        result["metric samples"],
        result["metric event ids"],
        result["request minutes"],
        result["metric rollups"],
    ) == (2, 1, 1, 1)
    assert list(MetricSample.objects.values_list("name", flat=True)) == ["new"]
    assert not RollupBucket.objects.filter(bucket=old_hour).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only")
def test_on_postgresql_retention_drops_whole_partitions(samples, now, settings):
    assert partitions.is_partitioned()
    settings.RETENTION_METRIC_SAMPLES_DAYS = 3
    samples("old", [1, 2, 3], windows.floor(now, "day") - timedelta(days=5), spacing=timedelta(hours=1))
    old_day = (windows.floor(now, "day") - timedelta(days=5)).date()
    assert old_day in partitions.existing_partitions()
    result = retention.purge(dry_run=False)
    assert result["metric samples"] == 3 and result["metric sample partitions"] >= 1
    assert old_day not in partitions.existing_partitions()
    assert not MetricSample.objects.filter(name="old").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only")
def test_on_postgresql_a_new_partition_takes_over_rows_from_the_default_partition(samples, now):
    future = (windows.floor(now, "day") + timedelta(days=30)).date()
    assert future not in partitions.existing_partitions()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO metrics_metricsample (name, type, value, unit, tags, source, route, timestamp) "
            "VALUES ('f', 'gauge', 1, '', '{}', '', '', %s)",
            [windows.floor(now, "day") + timedelta(days=30, hours=2)],
        )
    created = partitions.ensure_partitions(future, days_back=0, days_ahead=0)
    assert created == [partitions.partition_name(future)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {partitions.partition_name(future)}")  # noqa: S608
        assert cursor.fetchone()[0] == 1
    assert MetricSample.objects.filter(name="f").count() == 1
