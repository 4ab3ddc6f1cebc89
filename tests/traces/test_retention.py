"""purge_expired drops spans older than SPANS_RETENTION_DAYS (whole partitions on PostgreSQL)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from traces import retention
from traces.models import Span
from traces.partitions import spans as partitions

pytestmark = pytest.mark.django_db


def make_span(name: str, age_days: float) -> None:
    start = timezone.now() - timedelta(days=age_days)
    trace_id = f"{name:0>32}"[:32]
    Span.objects.create(trace_id=trace_id, span_id="1" * 16, name=name, start_time=start, end_time=start, duration_ms=0)


def test_purge_expired_removes_old_spans_and_keeps_recent_ones(settings):
    settings.SPANS_RETENTION_DAYS = 30
    make_span("old", 40)
    make_span("new", 1)
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert list(Span.objects.values_list("name", flat=True)) == ["new"]
    assert "spans" in out.getvalue()


def test_the_dry_run_counts_without_deleting(settings):
    settings.SPANS_RETENTION_DAYS = 30
    make_span("old", 40)
    assert retention.purge(dry_run=True)["spans"] == 1
    assert Span.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only")
def test_on_postgresql_whole_day_partitions_are_dropped(settings):
    settings.SPANS_RETENTION_DAYS = 3
    make_span("old", 10)
    result = retention.purge(dry_run=False)
    assert result["spans"] == 1 and result["span partitions"] >= 1
    cutoff_day = retention.cutoff().date()
    assert all(day >= cutoff_day for day in partitions.existing())
    partitions.ensure(timezone.now().date(), days_back=31, days_ahead=7)  # leave the schema as found


def test_ensure_span_partitions_command_reports_what_it_did():
    out = StringIO()
    call_command("ensure_span_partitions", stdout=out)
    assert "partition(s)" in out.getvalue()
