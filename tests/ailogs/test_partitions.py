"""AI calls partitioned by day (PostgreSQL) and the window in which a repeated event_id is recognised."""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ailogs import partitions, retention
from ailogs.models import AiCall, AiCallEventId
from tests.ailogs.helpers import event, iso

pytestmark = pytest.mark.django_db
URL = "/api/v1/ai-logs/"
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only")


@pytest.fixture
def writer(api_client):
    return api_client("ailogs:write")


def test_a_repeat_received_days_later_within_the_window_is_a_duplicate(writer, settings):
    settings.AILOGS_DEDUP_DAYS = 3
    event_id = uuid.uuid4()
    # as if the first copy had arrived two days ago: the key sits in that day's partition
    AiCallEventId.objects.create(event_id=event_id, day=timezone.now().date() - timedelta(days=2))
    body = writer.post(URL, [event(event_id=str(event_id)), event(event_id=str(uuid.uuid4()))], format="json").json()
    assert body == {"accepted": 1, "duplicates": 1, "errors": []}
    single = writer.post(URL, event(event_id=str(event_id)), format="json").json()  # the one-statement path
    assert single == {"accepted": 0, "duplicates": 1, "errors": []}


def test_a_repeat_after_the_window_is_stored_again(writer, settings):
    settings.AILOGS_DEDUP_DAYS = 3
    event_id = str(uuid.uuid4())
    AiCallEventId.objects.create(event_id=event_id, day=timezone.now().date() - timedelta(days=4))
    retention.purge(dry_run=False)
    assert not AiCallEventId.objects.filter(event_id=event_id).exists()
    body = writer.post(URL, event(event_id=event_id), format="json").json()
    assert body == {"accepted": 1, "duplicates": 0, "errors": []}


def test_each_event_id_is_claimed_once_in_a_mixed_batch(writer):
    repeated = str(uuid.uuid4())
    batch = [event(event_id=repeated), event(), event(event_id=repeated), event(event_id=str(uuid.uuid4()))]
    assert writer.post(URL, batch, format="json").json() == {"accepted": 3, "duplicates": 1, "errors": []}
    assert writer.post(URL, batch, format="json").json() == {"accepted": 1, "duplicates": 3, "errors": []}
    assert AiCall.objects.count() == 4
    assert AiCallEventId.objects.count() == 2


@on_postgresql
def test_retention_drops_whole_days_of_calls_and_keys(writer, settings):
    settings.RETENTION_AI_LOGS_DAYS = 5
    now = timezone.now()
    old_day = (now - timedelta(days=7)).date()
    assert old_day in partitions.CALLS.existing()
    AiCall.objects.bulk_create(
        [AiCall(function="f", duration_ms=1, timestamp=now - timedelta(days=7)) for _ in range(4)]
    )
    writer.post(URL, event(timestamp=iso(now)), format="json")
    with CaptureQueriesContext(connection) as queries:
        result = retention.purge(dry_run=False)
    assert result["ai calls"] == 4 and result["ai call partitions"] >= 1
    assert old_day not in partitions.CALLS.existing()
    assert not any(
        q["sql"].startswith("DELETE") and partitions.CALLS.name(old_day) in q["sql"] for q in queries.captured_queries
    )
    assert AiCall.objects.count() == 1


@on_postgresql
def test_a_call_for_a_day_without_partition_is_kept_and_moved_when_the_day_is_created(writer):
    future = timezone.now().date() + timedelta(days=40)
    assert future not in partitions.CALLS.existing()
    AiCall.objects.create(function="f", duration_ms=1, timestamp=timezone.now() + timedelta(days=40))
    out = StringIO()
    call_command("ensure_ailogs_partitions", stdout=out)
    assert "ai calls: created" in out.getvalue()
    partitions.CALLS.ensure(future, days_back=0, days_ahead=0)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {partitions.CALLS.name(future)}")  # noqa: S608
        assert cursor.fetchone()[0] == 1
    assert AiCall.objects.count() == 1


@on_postgresql
def test_claiming_a_batch_probes_the_key_index_instead_of_reading_every_stored_key():
    """Batch ingest must cost the same with millions of keys stored as with none.

    Left to its statistics (never gathered where autovacuum is off, and stale on a day-old
    partition), the planner chose to hash every stored key for each batch: 315 ms per 500-event
    batch over 1M keys, growing with the table. The claim's plan must be index probes.
    """
    from monitoring_site.lib.ingest import _claim_array_sql

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ailogs_aicalleventid (event_id) SELECT gen_random_uuid() FROM generate_series(1, 50000)"
        )
        batch = [uuid.uuid4() for _ in range(500)]
        cursor.execute("EXPLAIN " + _claim_array_sql(AiCall, "event_id", AiCallEventId), [batch])
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "Seq Scan on ailogs_aicalleventid" not in plan, plan
    assert "Index" in plan, plan
